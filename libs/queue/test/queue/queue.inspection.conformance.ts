import { InvalidOptionError, PayloadTooLargeError, Priority } from '../../src';
import { hostname } from 'os';
import { deferred, sleep, waitFor } from '../support/wait';
import type { Conformance } from './queue.conformance-support';
import { uniqueName } from './queue.conformance-support';

/**
 * Inspection and administration, run by the queue conformance suite on every backend: idempotency
 * keys, validation of payloads and options, entries that are not valid messages, status by id,
 * delayed messages, cancel, exact stats, peek and the worker registry.
 */
export function describeInspectionConformance({ fixture, make }: Conformance): void {
  test('an idempotency key returns the first id and enqueues nothing more', async () => {
    const { queue } = make();
    const a = await queue.publish({ type: 'i', payload: 1, idempotencyKey: 'order-42' });
    const b = await queue.publish({ type: 'i', payload: 2, idempotencyKey: 'order-42' });
    const [c, d, e] = await queue.publishBatch([
      { type: 'i', idempotencyKey: 'order-42' },
      { type: 'i', idempotencyKey: 'order-43' },
      { type: 'i', idempotencyKey: 'order-43' },
    ]);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(e).toBe(d);
    expect(d).not.toBe(a);
    const stats = await queue.stats();
    expect(stats.total_published).toBe(2);
    expect(stats.queue_length.normal).toBe(2);
    const { queue: short } = make({ idempotencyTtlMs: 50 });
    const f = await short.publish({ type: 'i', idempotencyKey: 'k' });
    await sleep(80);
    expect(await short.publish({ type: 'i', idempotencyKey: 'k' })).not.toBe(f);
  });

  test('payload over the limit is refused with PayloadTooLargeError and nothing is enqueued', async () => {
    const { queue } = make({ maxPayloadBytes: 1000 });
    await expect(queue.publish({ type: 'big', payload: 'x'.repeat(2000) })).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(
      queue.publishBatch([
        { type: 'big', payload: 'ok' },
        { type: 'big', payload: 'é'.repeat(600) },
      ]),
    ).rejects.toThrow(/1202 bytes, over the limit of 1000 bytes/);
    expect((await queue.stats()).total_published).toBe(0);
    const { queue: defaults } = make();
    await expect(defaults.publish({ type: 'big', payload: 'x'.repeat(1024 * 1024) })).rejects.toBeInstanceOf(PayloadTooLargeError);
  });

  test('invalid options are refused with an error naming the option; a bad batch enqueues nothing', async () => {
    const { queue } = make();
    await expect(queue.publish({ type: 't', priority: 'urgent' as Priority })).rejects.toThrow(
      'publish.priority: expected one of critical, high, normal, low, got "urgent"',
    );
    await expect(queue.publish({ type: 'has space' })).rejects.toThrow(/publish\.type/);
    await expect(queue.publish({ type: 't', delayMs: -5 })).rejects.toThrow(/publish\.delayMs/);
    await expect(queue.publish({ type: 't', maxRetries: 1.5 })).rejects.toThrow(/publish\.maxRetries/);
    await expect(queue.publish({ type: 't', colour: 'red' } as never)).rejects.toThrow(/publish\.colour/);
    await expect(queue.publishBatch([{ type: 't' }, { type: 't', priority: 'nope' as Priority }])).rejects.toThrow(/publishBatch\[1\]\.priority/);
    await expect(queue.publish({ type: 't', priority: 'x' as Priority })).rejects.toBeInstanceOf(InvalidOptionError);
    expect(() => queue.process('t', () => undefined, { concurrency: 0 })).toThrow(/process\.concurrency/);
    expect(() => make({ visibilityTimeoutMs: -1 })).toThrow(/queue\.visibilityTimeoutMs: expected an integer in \[100, 2147483647\], got -1/);
    // a Node timer longer than 2^31 - 1 ms fires after 1 ms: every attempt would have timed out at once
    expect(() => make({ defaultTimeoutMs: 3_000_000_000 })).toThrow('queue.defaultTimeoutMs: expected an integer in [0, 2147483647], got 3000000000');
    expect(() => queue.process('t', () => undefined, { timeoutMs: 2 ** 31 })).toThrow(/process\.timeoutMs/);
    expect((await queue.stats()).total_published).toBe(0);
  });

  test('entries that are not valid messages are dead-lettered with the reason; the worker keeps running', async () => {
    const name = uniqueName();
    const { queue } = fixture.create({ name });
    const missing = await fixture.injectGarbage(name, 'missing-body');
    const bad = await fixture.injectGarbage(name, 'bad-body');
    const got: string[] = [];
    queue.process<string>('ok', (m) => void got.push(m.payload));
    await queue.publish({ type: 'ok', payload: 'after garbage' });
    await waitFor(() => got.length === 1, 'valid message');
    await waitFor(async () => (await queue.stats()).dead_letter_count === 2, 'two dead');
    expect((await queue.deadLetters.get(missing))!.reason).toContain('no message body');
    const badEntry = await queue.deadLetters.get(bad);
    expect(badEntry).toMatchObject({ type: null, raw: 'this is not a message' });
    expect(badEntry!.reason).toContain('not a valid message');
    expect(await queue.deadLetters.replayAll()).toBe(0);
  });

  test('status by id follows the lifecycle; completed results are kept for the producer', async () => {
    const { queue } = make({ maxRetries: 1, backoff: { baseMs: 300, jitter: 0 } });
    const gate = deferred();
    let attempt = 0;
    queue.process<{ n: number }>('s', async (m) => {
      attempt++;
      if (attempt === 1) throw new Error('first fails');
      await gate.promise;
      return { doubled: m.payload.n * 2 };
    });
    const delayed = await queue.publish({ type: 's', payload: { n: 21 }, delayMs: 200 });
    expect(await queue.getStatus(delayed)).toMatchObject({ state: 'delayed', type: 's', priority: 'normal', attempts: 0 });
    await waitFor(async () => (await queue.getStatus(delayed))?.state === 'retrying', 'retrying');
    expect((await queue.getStatus(delayed))!.error).toMatchObject({ message: 'first fails' });
    await waitFor(async () => (await queue.getStatus(delayed))?.state === 'processing', 'processing');
    expect((await queue.getStatus(delayed))!.attempts).toBe(2);
    gate.resolve();
    await waitFor(async () => (await queue.getStatus(delayed))?.state === 'completed', 'completed');
    expect(await queue.getStatus(delayed)).toMatchObject({ state: 'completed', result: { doubled: 42 }, attempts: 2, type: 's' });
    expect(await queue.getStatus('never-published')).toBeNull();
  });

  test('a completed result past completedRetention.ageMs is gone from getStatus without a later completion', async () => {
    const { queue } = make({ completedRetention: { count: 10, ageMs: 300 } });
    queue.process('r', () => 'done');
    const id = await queue.publish({ type: 'r' });
    await waitFor(async () => (await queue.getStatus(id))?.state === 'completed', 'completed');
    const finishedAt = (await queue.getStatus(id))!.finishedAt!;
    // nothing else completes: only the read can tell the result is past its age
    await waitFor(async () => (await queue.getStatus(id)) === null, 'the result aged out');
    expect(Date.now() - finishedAt).toBeGreaterThanOrEqual(280);
  });

  test('a delayed message is not delivered before its time', async () => {
    const { queue } = make();
    const at: number[] = [];
    queue.process('later', () => void at.push(Date.now()));
    const t0 = Date.now();
    await queue.publish({ type: 'later', delayMs: 250 });
    await waitFor(() => at.length === 1, 'delayed delivery');
    expect(at[0] - t0).toBeGreaterThanOrEqual(245);
  });

  test('cancel removes a pending or delayed message, not a finished one', async () => {
    const { queue } = make();
    const a = await queue.publish({ type: 'c' });
    const b = await queue.publish({ type: 'c', delayMs: 10_000 });
    expect(await queue.cancel(a)).toBe(true);
    expect(await queue.cancel(b)).toBe(true);
    expect(await queue.cancel(a)).toBe(false);
    expect(await queue.getStatus(a)).toBeNull();
    const stats = await queue.stats();
    expect(stats.queue_length.normal + stats.delayed_count).toBe(0);
  });

  test('stats are exact', async () => {
    const { queue } = make({ maxRetries: 1, backoff: { baseMs: 10, jitter: 0 } });
    const failedOnce = new Set<number>();
    queue.process<number>('st', (m) => {
      if (m.payload >= 5 && m.payload < 7 && !failedOnce.has(m.payload)) {
        failedOnce.add(m.payload);
        throw new Error('once');
      }
      if (m.payload === 7) throw new Error('always');
    });
    await queue.publishBatch(Array.from({ length: 8 }, (_, i) => ({ type: 'st', payload: i, priority: i % 2 ? 'high' : ('low' as Priority) })));
    await queue.publish({ type: 'st', payload: 100, delayMs: 60_000 });
    // the last stats read goes into a timeout's message (on 4 partitions this timed out about once in
    // 500 runs beside burners, until a partitioned fetch stopped ending at a round that took nothing)
    let seen = '';
    await waitFor(async () => {
      const s = await queue.stats();
      seen = JSON.stringify(s);
      return s.total_processed === 7 && s.total_dead_letter === 1;
    }, 'all settled').catch((error: Error) => {
      throw new Error(`${error.message}; last stats read: ${seen}`);
    });
    expect(await queue.stats()).toEqual({
      total_published: 9,
      total_processed: 7,
      total_failed: 4,
      total_retried: 3,
      total_dead_letter: 1,
      total_dropped: 0,
      dead_letter_trimmed: 0,
      queue_length: { critical: 0, high: 0, normal: 0, low: 0 },
      processing_count: 0,
      delayed_count: 1,
      dead_letter_count: 1,
      outbox_size: 0,
      groups_ready: 0,
      groups_blocked: 0,
      groups_running: 0,
    });
  });

  test('peek: tiers head first, delayed and in flight soonest first, completed newest first; nothing is taken', async () => {
    const { queue } = make({ prefetch: 1 });
    const ids = await queue.publishBatch([
      { type: 'p', payload: 1 },
      { type: 'p', payload: 2, priority: 'high' },
      { type: 'p', payload: 3 },
    ]);
    const late = await queue.publish({ type: 'p', payload: 'late', delayMs: 120_000 });
    const soon = await queue.publish({ type: 'p', payload: 'soon', delayMs: 60_000 });
    const garbage = await fixture.injectGarbage(queue.name, 'bad-body');
    const normal = await queue.peek('normal', { limit: 10 });
    expect(normal.total).toBe(3);
    expect(normal.items.map((i) => [i.id, i.type, i.payload, i.attempts])).toEqual([
      [ids[0], 'p', 1, 0],
      [ids[2], 'p', 3, 0],
      [garbage, null, null, 0],
    ]);
    expect((await queue.peek('normal', { offset: 1, limit: 1 })).items.map((i) => i.id)).toEqual([ids[2]]);
    expect((await queue.peek('high')).items).toEqual([expect.objectContaining({ id: ids[1], priority: 'high', payload: 2 })]);
    expect((await queue.peek('delayed')).items.map((i) => i.id)).toEqual([soon, late]);
    expect((await queue.stats()).queue_length).toEqual({ critical: 0, high: 1, normal: 3, low: 0 });
    const release = deferred();
    queue.process(
      'p',
      async (m) => {
        await release.promise;
        return { got: m.payload };
      },
      { concurrency: 1 },
    );
    // The worker may hold a second message (leased, waiting for the slot): look for the high one.
    const inflight = await waitFor(async () => (await queue.peek('inflight')).items.find((i) => i.id === ids[1]), 'the high message in flight');
    expect(inflight).toMatchObject({ id: ids[1], attempts: 1 });
    expect(inflight?.at).toBeGreaterThan(Date.now());
    release.resolve();
    await waitFor(async () => (await queue.peek('completed')).total === 3, 'three completed');
    const completed = (await queue.peek('completed')).items;
    expect(completed.map((i) => [i.id, i.result]).sort()).toEqual(
      [
        [ids[0], { got: 1 }],
        [ids[1], { got: 2 }],
        [ids[2], { got: 3 }],
      ].sort(),
    );
    const times = completed.map((i) => i.at ?? 0);
    expect(times).toEqual([...times].sort((a, b) => b - a)); // newest first
  });

  test('worker registry: a worker reports the rate limits it keeps, those of handlers registered later included', async () => {
    const { queue } = make({ rateLimit: { max: 100, perMs: 1000 }, rateLimits: { a: { max: 5, perMs: 60_000 } } });
    queue.process('a', async () => undefined);
    queue.process('free', async () => undefined);
    await waitFor(async () => (await queue.workers()).length === 1, 'the worker registered');
    expect((await queue.workers())[0].rateLimits).toEqual([
      { name: '*', max: 100, perMs: 1000 },
      { name: 'a', max: 5, perMs: 60_000 },
    ]);
    // registered after the first beat: the next beat goes out at once, not with the next busy/idle change
    queue.process('b', async () => undefined, { rateLimit: { max: 2, perMs: 1000 } });
    await waitFor(async () => (await queue.workers())[0]?.rateLimits.some((l) => l.name === 'b'), 'the later limit reported');
    await queue.close({ drainTimeoutMs: 0 });
  });

  test('worker registry: a consuming process is listed (host, pid, wait times); its messages in flight name it; close removes it', async () => {
    const { queue } = make();
    expect(await queue.workers()).toEqual([]);
    const release = deferred();
    const before = Date.now();
    const id = await queue.publish({ type: 'w' });
    queue.process('w', () => release.promise, { concurrency: 2 });
    const held = await waitFor(async () => (await queue.peek('inflight')).items.find((i) => i.id === id), 'the message in flight');
    expect(held?.takenAt).toBeGreaterThanOrEqual(before);
    expect(held?.takenAt).toBeLessThanOrEqual(Date.now());
    await waitFor(async () => (await queue.workers()).some((w) => w.waitCounts.some((n) => n > 0)), 'this process in the registry with one start counted');
    const workers = await queue.workers();
    expect(workers).toHaveLength(1);
    const worker = workers[0];
    expect(worker).toMatchObject({ id: held?.worker, host: hostname(), pid: process.pid, concurrency: 2 });
    expect(worker.waitCounts.reduce((a: number, b: number) => a + b, 0)).toBe(1);
    expect(worker.waitBucketsMs.length + 1).toBe(worker.waitCounts.length);
    expect(worker.lastSeenAgoMs).toBeGreaterThanOrEqual(0);
    release.resolve();
    await queue.close({ drainTimeoutMs: 5_000 });
    expect(await queue.workers()).toEqual([]);
  });
}
