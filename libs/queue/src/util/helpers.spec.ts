import { NonRetryableError } from '../errors';
import { sleepUnlessAborted, untilAborted } from './abort';
import { isNonRetryable, recordError } from './error-record';
import { parseJsonOr } from './json';
import { ConditionLog, RepeatedFailureLog } from './repeat-log';
import { FailureBackoff, retryBriefly, settleWithin } from './retry';

describe('shared helpers', () => {
  it('FailureBackoff doubles the pause from base up to the cap and starts over after a success', () => {
    const backoff = new FailureBackoff(100);
    expect([1, 2, 3, 4, 5, 6, 7].map(() => backoff.failed())).toEqual([200, 400, 800, 1600, 3200, 5000, 5000]);
    expect(backoff.count).toBe(7);
    backoff.succeeded();
    expect(backoff.failed()).toBe(200);
    const stream = new FailureBackoff(25, 2000);
    expect([1, 2, 3, 4, 5, 6, 7].map(() => stream.failed())).toEqual([50, 100, 200, 400, 800, 1600, 2000]);
  });

  it('RepeatedFailureLog logs a failure once and counts its repeats; ConditionLog logs a condition when it starts, changes and clears', () => {
    const lines: string[] = [];
    const failures = new RepeatedFailureLog(
      (line) => lines.push(`error ${line}`),
      (line) => lines.push(`log ${line}`),
      'fetch',
    );
    ['down', 'down', 'down'].forEach((m) => failures.failed(m, `fetch failed: ${m}`));
    failures.succeeded();
    failures.succeeded();
    const condition = new ConditionLog(
      (now) => lines.push(`error ${now}`),
      () => lines.push('log cleared'),
    );
    ['', 'a', 'a', 'a, b', '', ''].forEach((now) => condition.note(now));
    expect(lines).toEqual(['error fetch failed: down', 'log fetch works again (2 repeated failures not logged)', 'error a', 'error a, b', 'log cleared']);
  });

  it('retryBriefly returns the first success and throws the last error after the attempts', async () => {
    let calls = 0;
    await expect(retryBriefly(async () => (++calls < 2 ? Promise.reject(new Error('hiccup')) : 'ok'), 3, 1)).resolves.toBe('ok');
    expect(calls).toBe(2);
    calls = 0;
    await expect(retryBriefly(async () => Promise.reject(new Error(`down ${++calls}`)), 3, 1)).rejects.toThrow('down 3');
  });

  it('settleWithin says whether the work settled (a rejection counts) before the bound', async () => {
    await expect(settleWithin(Promise.resolve(1), 1000)).resolves.toBe(true);
    await expect(settleWithin(Promise.reject(new Error('closed')), 1000)).resolves.toBe(true);
    await expect(settleWithin(new Promise(() => undefined), 10)).resolves.toBe(false);
  });

  it('untilAborted settles like the work, or rejects with the reason when the signal fires first', async () => {
    await expect(untilAborted(Promise.resolve(1), new AbortController().signal)).resolves.toBe(1);
    await expect(untilAborted(Promise.reject(new Error('x')), new AbortController().signal)).rejects.toThrow('x');
    const controller = new AbortController();
    const never = untilAborted(new Promise(() => undefined), controller.signal);
    controller.abort(new Error('timed out'));
    await expect(never).rejects.toThrow('timed out');
    await expect(untilAborted(Promise.resolve(1), controller.signal)).rejects.toThrow('timed out');
  });

  it('recordError keeps name, message and (unless asked not to) the stack; describes non-errors', () => {
    const error = new TypeError('bad');
    expect(recordError(error)).toEqual({ name: 'TypeError', message: 'bad', stack: error.stack });
    expect(recordError(error, { stack: false })).toEqual({ name: 'TypeError', message: 'bad' });
    expect(recordError('text')).toEqual({ name: 'Error', message: 'text' });
    expect(recordError({ code: 7 })).toEqual({ name: 'Error', message: '{"code":7}' });
    expect(recordError(BigInt(5))).toEqual({ name: 'Error', message: '5' });
    expect(isNonRetryable(new NonRetryableError('no'))).toBe(true);
    expect(isNonRetryable(new Error('maybe'))).toBe(false);
    expect(isNonRetryable(null)).toBe(false);
  });

  it('parseJsonOr parses, or gives the fallback for text that is not JSON', () => {
    expect(parseJsonOr('{"a":1}', undefined)).toEqual({ a: 1 });
    expect(parseJsonOr('null', 'fallback')).toBeNull();
    expect(parseJsonOr('{broken', undefined)).toBeUndefined();
    expect(parseJsonOr('{broken', '{broken')).toBe('{broken');
  });
});

describe('sleepUnlessAborted', () => {
  it('resolves after the time, or rejects with the reason as soon as the signal fires', async () => {
    await expect(sleepUnlessAborted(1, new AbortController().signal)).resolves.toBeUndefined();
    const controller = new AbortController();
    const long = sleepUnlessAborted(60_000, controller.signal);
    controller.abort(new Error('shutdown'));
    await expect(long).rejects.toThrow('shutdown');
    await expect(sleepUnlessAborted(1, controller.signal)).rejects.toThrow('shutdown');
  });
});
