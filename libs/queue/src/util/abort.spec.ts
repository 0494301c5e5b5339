/** `sleepUnlessAborted` refuses a wait a timer cannot keep and a missing signal, naming the argument, before waiting. */
import { InvalidOptionError } from '../errors';
import { sleepUnlessAborted, timeoutSignal } from './abort';

describe('sleepUnlessAborted arguments', () => {
  const signal = new AbortController().signal;
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.name);
  beforeAll(() => process.on('warning', onWarning));
  afterAll(() => process.off('warning', onWarning));

  it.each([2 ** 31, Infinity, NaN, -1, '100', null])('refuses ms %p at sleepUnlessAborted.ms, without a timer', async (ms) => {
    const sleep = sleepUnlessAborted(ms as number, signal);
    await expect(sleep).rejects.toThrow(InvalidOptionError);
    await expect(sleep).rejects.toMatchObject({ path: 'sleepUnlessAborted.ms', found: ms, expected: 'a number in [0, 2147483647]' });
    // a 2^31 ms timer would have fired after 1 ms with a TimeoutOverflowWarning
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });

  it.each([undefined, null, {}, 'signal'])('refuses signal %p at sleepUnlessAborted.signal', async (bad) => {
    await expect(sleepUnlessAborted(100, bad as unknown as AbortSignal)).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      path: 'sleepUnlessAborted.signal',
    });
  });

  it('accepts 0, a fraction and the longest timer, and still ends early when the signal fires', async () => {
    await expect(sleepUnlessAborted(0, signal)).resolves.toBeUndefined();
    await expect(sleepUnlessAborted(0.5, signal)).resolves.toBeUndefined();
    const controller = new AbortController();
    const longest = sleepUnlessAborted(2 ** 31 - 1, controller.signal);
    controller.abort(new Error('shutdown'));
    await expect(longest).rejects.toThrow('shutdown');
  });
});

describe('timeoutSignal', () => {
  it('fires with a TimeoutError after its time, with the outer reason when the outer signal fires first, and not after release', async () => {
    const timed = timeoutSignal(20, new AbortController().signal);
    await new Promise((resolve) => timed.signal.addEventListener('abort', resolve, { once: true }));
    expect((timed.signal.reason as Error).name).toBe('TimeoutError');

    const outer = new AbortController();
    const early = timeoutSignal(60_000, outer.signal);
    outer.abort(new Error('closing'));
    expect(early.signal.aborted).toBe(true);
    expect((early.signal.reason as Error).message).toBe('closing');

    const again = new AbortController();
    const released = timeoutSignal(60_000, again.signal);
    released.release();
    again.abort(new Error('later'));
    expect(released.signal.aborted).toBe(false);

    const already = new AbortController();
    already.abort(new Error('before'));
    expect(timeoutSignal(60_000, already.signal).signal.aborted).toBe(true);
  });
});
