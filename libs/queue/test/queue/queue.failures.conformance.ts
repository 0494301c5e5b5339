import { NonRetryableError } from '../../src';
import { sleep, waitFor } from '../support/wait';
import type { Conformance } from './queue.conformance-support';

/**
 * Failures, run by the queue conformance suite on every backend: retries with backoff, non-retryable
 * errors, the dead-letter queue (list, get, replay, delete, purge, its bounds, dropping when it is
 * disabled) and messages of a type nobody handles.
 */
export function describeFailureConformance({ make }: Conformance): void {
  test('a thrown error retries with exponential backoff, then dead-letters with the error', async () => {
    const { queue } = make({ maxRetries: 3, backoff: { baseMs: 40, factor: 2, maxMs: 1000, jitter: 0 } });
    const times: number[] = [];
    const attempts: number[] = [];
    queue.process('f', (_m, ctx) => {
      times.push(Date.now());
      attempts.push(ctx.attempt);
      throw new Error('boom');
    });
    const id = await queue.publish({ type: 'f', payload: { x: 1 } });
    await waitFor(async () => (await queue.getStatus(id))?.state === 'dead', 'dead letter');
    expect(attempts).toEqual([1, 2, 3, 4]);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(gaps[0]).toBeGreaterThanOrEqual(38);
    expect(gaps[1]).toBeGreaterThanOrEqual(78);
    expect(gaps[2]).toBeGreaterThanOrEqual(158);
    const dead = await queue.deadLetters.get(id);
    expect(dead).toMatchObject({ id, type: 'f', payload: { x: 1 }, attempts: 4 });
    expect(dead!.reason).toContain('failed after 4 attempts');
    expect(dead!.error).toMatchObject({ name: 'Error', message: 'boom' });
    expect(dead!.error!.stack).toContain('boom');
    const stats = await queue.stats();
    expect(stats).toMatchObject({ total_failed: 4, total_retried: 3, total_dead_letter: 1, dead_letter_count: 1, total_processed: 0 });
  });

  test('a thrown value that cannot be read (Proxy, throwing getter, odd fields) is dead-lettered; the worker goes on', async () => {
    const { queue } = make({ maxRetries: 0, concurrency: 1 });
    const unreadable = (): Error => {
      const error = new Error('hidden');
      Object.defineProperty(error, 'message', {
        get() {
          throw new Error('getter');
        },
      });
      return error;
    };
    const trap = (): never => {
      throw new Error('trap');
    };
    const thrown: Record<string, () => unknown> = {
      proxy: () => new Proxy({}, { get: trap, has: trap, getPrototypeOf: trap }),
      getter: unreadable,
      fields: () => Object.assign(new Error('plain'), { name: 5, message: { deep: 1 } }),
    };
    for (const [type, value] of Object.entries(thrown)) {
      queue.process(type, () => {
        throw value();
      });
    }
    queue.process('ok', () => 'done');
    const ids = await queue.publishBatch(Object.keys(thrown).map((type) => ({ type })));
    const ok = await queue.publish({ type: 'ok' });
    await waitFor(async () => (await queue.stats()).dead_letter_count === ids.length, 'every hostile throw dead-lettered');
    for (const id of ids) {
      const status = await queue.getStatus(id);
      expect(status).toMatchObject({ state: 'dead', attempts: 1 });
      expect(typeof status!.error!.name).toBe('string');
      expect(typeof status!.error!.message).toBe('string');
    }
    expect((await queue.getStatus(ids[2]))!.error).toMatchObject({ name: '5', message: '[object Object]' });
    await waitFor(async () => (await queue.getStatus(ok))?.state === 'completed', 'the next message');
    expect(await queue.stats()).toMatchObject({ total_failed: 3, total_dead_letter: 3, processing_count: 0 });
  });

  test('a non-retryable error goes straight to the dead-letter queue', async () => {
    const { queue } = make({ maxRetries: 5 });
    let calls = 0;
    queue.process('nr', () => {
      calls++;
      throw new NonRetryableError('bad input');
    });
    const id = await queue.publish({ type: 'nr' });
    await waitFor(async () => (await queue.getStatus(id))?.state === 'dead', 'dead letter');
    expect(calls).toBe(1);
    const status = await queue.getStatus(id);
    expect(status!.reason).toContain('non-retryable');
    expect(status!.error).toMatchObject({ name: 'NonRetryableError', message: 'bad input' });
  });

  test('dead letters: paged list, get, replay with attempts reset, delete, purge', async () => {
    const { queue } = make({ maxRetries: 0 });
    let fail = true;
    const seen: Array<[string, number]> = [];
    queue.process<number>('d', (m) => {
      seen.push([m.id, m.attempt]);
      if (fail) throw new Error(`fail ${m.payload}`);
    });
    const ids = await queue.publishBatch(Array.from({ length: 5 }, (_, i) => ({ type: 'd', payload: i })));
    await waitFor(async () => (await queue.stats()).dead_letter_count === 5, '5 dead');
    const page1 = await queue.deadLetters.list({ offset: 0, limit: 2 });
    const page2 = await queue.deadLetters.list({ offset: 2, limit: 2 });
    const page3 = await queue.deadLetters.list({ offset: 4, limit: 2 });
    expect(page1.total).toBe(5);
    expect([...page1.items, ...page2.items, ...page3.items].map((d) => d.id).sort()).toEqual([...ids].sort());
    expect(page3.items).toHaveLength(1);
    fail = false;
    seen.length = 0;
    await queue.deadLetters.replay(ids[0]);
    await waitFor(() => seen.length === 1, 'replayed message');
    expect(seen[0]).toEqual([ids[0], 1]);
    await waitFor(async () => (await queue.getStatus(ids[0]))?.state === 'completed', 'completed');
    expect(await queue.deadLetters.delete(ids[1])).toBe(true);
    expect(await queue.deadLetters.delete(ids[1])).toBe(false);
    expect(await queue.deadLetters.get(ids[1])).toBeNull();
    await expect(queue.deadLetters.replay('no-such-id')).rejects.toMatchObject({ code: 'DEAD_LETTER_NOT_FOUND' });
    expect(await queue.deadLetters.replayAll()).toBe(3);
    await waitFor(async () => (await queue.stats()).total_processed === 4, 'replayed all');
    fail = true;
    await queue.publish({ type: 'd', payload: 9 });
    await waitFor(async () => (await queue.stats()).dead_letter_count === 1, 'one new dead');
    expect(await queue.deadLetters.purge()).toBe(1);
    expect((await queue.stats()).dead_letter_count).toBe(0);
  });

  test('with the dead-letter queue disabled, final failures are dropped and counted', async () => {
    const { queue } = make({ maxRetries: 1, backoff: { baseMs: 10, jitter: 0 }, deadLetter: { enabled: false } });
    let calls = 0;
    queue.process('drop', () => {
      calls++;
      throw new Error('always');
    });
    const id = await queue.publish({ type: 'drop' });
    await waitFor(async () => (await queue.stats()).total_failed === 2, 'two failed attempts');
    await waitFor(async () => (await queue.getStatus(id)) === null, 'message gone');
    expect(calls).toBe(2);
    expect(await queue.stats()).toMatchObject({ total_dead_letter: 0, total_dropped: 1, dead_letter_count: 0, processing_count: 0, total_retried: 1 });
  });

  test('dead-letter queue is bounded by size and age; trimmed entries are counted', async () => {
    const { queue } = make({ maxRetries: 0, deadLetter: { maxSize: 3, maxAgeMs: 400 } });
    queue.process('b', () => {
      throw new Error('x');
    });
    // one partition key: the bounds hold per partition (docs/queue.md, "Partitioned queues")
    const ids = await queue.publishBatch(Array.from({ length: 5 }, () => ({ type: 'b', partitionKey: 'k' })));
    await waitFor(async () => (await queue.stats()).total_dead_letter === 5, '5 dead-lettered');
    let stats = await queue.stats();
    expect(stats.dead_letter_count).toBe(3);
    expect(stats.dead_letter_trimmed).toBe(2);
    await sleep(450);
    await queue.publish({ type: 'b', partitionKey: 'k' });
    await waitFor(async () => (await queue.stats()).total_dead_letter === 6, 'sixth dead-lettered');
    stats = await queue.stats();
    expect(stats.dead_letter_count).toBe(1);
    expect(stats.dead_letter_trimmed).toBe(5);
    expect(await queue.getStatus(ids[4])).toBeNull();
  });

  test('a message of a type nobody handles is dead-lettered after the grace period', async () => {
    // a grace long enough that "not dead yet" right after the known message ran holds on a busy machine
    const { queue } = make({ unhandledTypeGraceMs: 1500 });
    let handled = 0;
    queue.process('known', () => void handled++);
    // one partition key: the known message is taken right behind the unknown one
    const id = await queue.publish({ type: 'unknown-type', partitionKey: 'k' });
    await queue.publish({ type: 'known', partitionKey: 'k' });
    await waitFor(() => handled === 1, 'known handled');
    expect((await queue.getStatus(id))!.state).not.toBe('dead');
    await waitFor(async () => (await queue.getStatus(id))?.state === 'dead', 'dead after grace');
    expect((await queue.getStatus(id))!.reason).toBe('no handler registered for task type "unknown-type"');
  });
}
