import { InvalidOptionError, QueueMessage, TaskTimeoutError } from '../../src';
import { resolveQueueOptions } from '../../src/queue/queue-options';
import { preparePublish } from '../../src/queue/publish-validation';
import { deferred, longestStall, sleep, waitFor } from '../support/wait';
import type { Conformance } from './queue.conformance-support';
import { record, refOf, uniqueName } from './queue.conformance-support';

/**
 * Delivery identity and leases, run by the queue conformance suite on every backend: each message
 * processed once, redelivery after a lost lease, late acknowledgements that settle nothing, a store
 * that lost its data, re-sent publishes stored once, lease renewal and extension, timeouts and
 * graceful close.
 */
export function describeDeliveryConformance({ fixture, make, partitions }: Conformance): void {
  test('10,000 messages at concurrency 50 are each processed exactly once', async () => {
    const { queue } = make({ prefetch: 50 });
    const N = 10_000;
    for (let i = 0; i < N; i += 1000) {
      await queue.publishBatch(Array.from({ length: 1000 }, (_, j) => ({ type: 'n', payload: i + j })));
    }
    const counts = new Map<number, number>();
    let running = 0;
    let maxRunning = 0;
    queue.process<number>(
      'n',
      async (m) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(0);
        counts.set(m.payload, (counts.get(m.payload) ?? 0) + 1);
        running--;
      },
      { concurrency: 50 },
    );
    // seconds when quiet; a loaded machine (two CPU burners beside the suite) took over 30 s on 4 partitions
    await waitFor(() => counts.size === N, 'all 10,000', 90_000);
    await sleep(50);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
    expect(maxRunning).toBeLessThanOrEqual(50);
    expect(maxRunning).toBeGreaterThan(1);
    await waitFor(async () => (await queue.stats()).total_processed === N, 'acks');
    const stats = await queue.stats();
    expect(stats.processing_count).toBe(0);
    expect(stats.total_published).toBe(N);
  }, 150_000);

  test('one publishBatch of 200,000 messages is stored whole (more arguments than a call can spread)', async () => {
    const { queue } = make();
    const N = 200_000;
    const ids = await queue.publishBatch(Array.from({ length: N }, (_, i) => ({ type: 'bulk', payload: i })));
    expect(ids).toHaveLength(N);
    expect(new Set(ids).size).toBe(N);
    const stats = await queue.stats();
    expect(stats.total_published).toBe(N);
    expect(stats.queue_length.normal).toBe(N);
    const page = await queue.peek('normal', { limit: 1 });
    expect(page.total).toBe(N);
  }, 60_000);

  test('a concurrency above what one fetch takes (5,000, prefetch 5,000) is filled by several fetches', async () => {
    const { queue } = make({ prefetch: 5000, concurrency: 5000 });
    const N = 6000;
    for (let i = 0; i < N; i += 1000) {
      await queue.publishBatch(Array.from({ length: 1000 }, (_, j) => ({ type: 'wide', payload: i + j })));
    }
    const counts = new Map<number, number>();
    let running = 0;
    let mostRunning = 0;
    const wide = deferred();
    queue.process<number>('wide', async (m) => {
      running++;
      mostRunning = Math.max(mostRunning, running);
      // the first runs hold their slots until 2,500 run at once: more than one fetch must have taken them
      if (mostRunning >= 2500) wide.resolve();
      await wide.promise;
      counts.set(m.payload, (counts.get(m.payload) ?? 0) + 1);
      running--;
    });
    await waitFor(() => counts.size === N, `all ${N} (most running at once: ${mostRunning})`, 30_000);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
    expect(mostRunning).toBeGreaterThanOrEqual(2500);
    await queue.pause();
  });

  test('a message whose worker died is delivered again after the visibility timeout, attempt increased', async () => {
    const name = uniqueName();
    const { queue, store } = fixture.create({ name });
    const id = await queue.publish({ type: 'l' });
    // A worker takes it and dies: nothing renews or acknowledges the lease.
    const taken = await store.fetch(1, 200, null, 0);
    expect(taken.deliveries.map((d) => [d.id, d.attempt])).toEqual([[id, 1]]);
    expect((await queue.getStatus(id))!.state).toBe('processing');
    const { queue: survivor } = fixture.create({ name, visibilityTimeoutMs: 200, idleBlockMs: 50 });
    const got = deferred<QueueMessage>();
    survivor.process('l', (m) => got.resolve(m));
    const message = await got.promise;
    expect(message.id).toBe(id);
    expect(message.attempt).toBe(2);
    // the dead worker's late acknowledgement is refused: it no longer holds the lease
    const dead = refOf(taken.deliveries[0]);
    expect(await store.complete([{ ...dead, record: '' }])).toEqual([dead]);
  });

  test('a late acknowledgement never settles a redelivery (lease expired, or put back and taken again)', async () => {
    const { queue, store } = make();
    const id = await queue.publish({ type: 'r' });
    const first = refOf((await store.fetch(1, 100, null, 0)).deliveries[0]);
    // the lease expires; the next fetch delivers the message again
    const second = refOf(await waitFor(async () => (await store.fetch(1, 30_000, null, 0)).deliveries[0], 'redelivery after the lease expired'));
    expect(second).toMatchObject({ id, attempt: 2 });
    expect(second.lease).not.toBe(first.lease);
    expect(await store.complete([{ ...first, record: record('r', 'late', 1) }])).toEqual([first]);
    expect(await store.fail(first, { kind: 'drop', countsAsFailure: true })).toBe(false);
    expect(await store.extend([first], 60_000)).toEqual([first]);
    await store.release([first], 0);
    expect(await queue.getStatus(id)).toMatchObject({ state: 'processing', attempts: 2 });
    // put back without counting the attempt and taken again: the same attempt number, a new lease
    await store.release([second], 0);
    const third = refOf((await store.fetch(1, 30_000, null, 0)).deliveries[0]);
    expect(third).toMatchObject({ id, attempt: 2 });
    expect(third.lease).not.toBe(second.lease);
    expect(await store.complete([{ ...second, record: record('r', 'late', 2) }])).toEqual([second]);
    expect(await store.extend([second, third], 60_000)).toEqual([second]);
    expect(await store.complete([{ ...third, record: record('r', 'mine', 2) }])).toEqual([]);
    expect(await queue.getStatus(id)).toMatchObject({ state: 'completed', result: 'mine', attempts: 2 });
    expect(await queue.stats()).toMatchObject({ total_processed: 1, processing_count: 0, queue_length: { normal: 0 } });
  });

  test('after the store lost its data, ids do not repeat and late acknowledgements settle nothing new', async () => {
    // issue 9 §3: Redis restarted empty while three handlers ran; three new messages were published
    const name = uniqueName();
    const { queue } = fixture.create({ name, idleBlockMs: 200 });
    const gate = deferred();
    const started: string[] = [];
    queue.process<string>(
      'dl',
      async (m) => {
        started.push(m.payload);
        if (m.payload.startsWith('old')) await gate.promise;
        return `result of ${m.payload}`;
      },
      { concurrency: 3 },
    );
    const oldIds = await queue.publishBatch([0, 1, 2].map((i) => ({ type: 'dl', payload: `old-${i}` })));
    await waitFor(() => started.length === 3, 'three handlers running');
    await fixture.loseData(name);
    const newIds = await queue.publishBatch([0, 1, 2].map((i) => ({ type: 'dl', payload: `new-${i}` })));
    expect(newIds.filter((id) => oldIds.includes(id))).toEqual([]);
    gate.resolve();
    await waitFor(
      async () => (await Promise.all(newIds.map((id) => queue.getStatus(id)))).every((s) => s?.state === 'completed'),
      'the new messages completed',
      20_000,
    );
    for (const [i, id] of newIds.entries()) expect((await queue.getStatus(id))!.result).toBe(`result of new-${i}`);
    for (const id of oldIds) expect(await queue.getStatus(id)).toBeNull();
    expect(started.sort()).toEqual(['new-0', 'new-1', 'new-2', 'old-0', 'old-1', 'old-2']);
    expect(await queue.stats()).toMatchObject({ total_published: 3, total_processed: 3, processing_count: 0, queue_length: { normal: 0 } });
  });

  test('a re-sent publish (the same producer-chosen ids) is stored once', async () => {
    const { queue, store } = make();
    const o = resolveQueueOptions({ name: 'resend' });
    const plain = [0, 1, 2].map((i) => preparePublish({ type: 'rs', payload: i }, o));
    const full = [
      preparePublish({ type: 'rs', payload: 'later', delayMs: 60_000 }, o),
      preparePublish({ type: 'rs', payload: 'keyed', idempotencyKey: 'rs-key' }, o),
      preparePublish({ type: 'rs', payload: 'high', priority: 'high' }, o),
    ];
    for (const batch of [plain, full]) {
      expect(await store.publish(batch)).toEqual(batch.map((m) => m.id));
      expect(await store.publish(batch)).toEqual(batch.map((m) => m.id));
    }
    const stored = { total_published: 6, delayed_count: 1, queue_length: { critical: 0, high: 1, normal: 4, low: 0 } };
    expect(await queue.stats()).toMatchObject(stored);
    // re-sent after the messages completed (their results kept): still not stored again
    let done = 0;
    queue.process('rs', () => void done++);
    await waitFor(async () => (await queue.stats()).total_processed === 5, 'five processed');
    for (const batch of [plain, full]) expect(await store.publish(batch)).toEqual(batch.map((m) => m.id));
    expect(await queue.stats()).toMatchObject({ ...stored, total_processed: 5, queue_length: { critical: 0, high: 0, normal: 0, low: 0 } });
    expect(done).toBe(5);
    // ids chosen by the producer: distinct, increasing within a process
    const ids = await queue.publishBatch(Array.from({ length: 50 }, () => ({ type: 'rs' })));
    expect(new Set(ids).size).toBe(50);
    expect([...ids].sort()).toEqual(ids);
  });

  test('a running handler keeps its lease: a long task is not delivered twice', async () => {
    // A partitioned fetch answers when its slowest partition has, while the lease runs from the
    // take (docs/queue.md, "Leases and fetch latency"): on a loaded machine 150 ms can be gone
    // before the first renewal. The lease is longer there; the task stays ~4.7 leases long.
    const leaseMs = partitions === 1 ? 150 : 600;
    // Renewals come every third of a lease: a process starved for more than half a lease (a
    // full-heap GC beside CPU burners) may miss two in a row. Such a run proves nothing either
    // way and is tried again (at most twice); a second delivery without such a stall fails.
    const once = async () => {
      const name = uniqueName();
      const options = { name, visibilityTimeoutMs: leaseMs, idleBlockMs: 50 };
      const { queue: a } = fixture.create(options);
      const { queue: b } = fixture.create(options);
      let calls = 0;
      const handler = async () => {
        calls++;
        await sleep((leaseMs * 14) / 3);
      };
      a.process('long', handler, { concurrency: 1 });
      b.process('long', handler, { concurrency: 1 });
      const id = await a.publish({ type: 'long' });
      // a second delivery ends the attempt at once (its lease taken, the first run never completes)
      await waitFor(async () => calls > 1 || (await a.getStatus(id))?.state === 'completed', 'completion', leaseMs * 33);
      return calls;
    };
    for (let attempt = 1; ; attempt++) {
      const { value: calls, stallMs } = await longestStall(once);
      if (calls === 1) return;
      if (attempt === 3 || stallMs < leaseMs / 2)
        throw new Error(`delivered ${calls} times; the longest stall of this process was ${Math.round(stallMs)} ms (lease ${leaseMs} ms)`);
    }
  }, 70_000);

  test('a handler can extend its lease explicitly (also detached from its context)', async () => {
    const { queue } = make({ visibilityTimeoutMs: 300 });
    const release = deferred();
    const extended = deferred();
    let seen: { spread: object; same: boolean; extendLease: unknown; progress: unknown; signal: unknown } | undefined;
    queue.process('x', async (_m, ctx) => {
      // detached and spread, as handlers use it: one function per context, the same each time
      const { extendLease } = ctx;
      seen = { spread: { ...ctx }, same: ctx.extendLease === extendLease, extendLease, progress: ctx.progress, signal: ctx.signal };
      await extendLease(20_000);
      extended.resolve();
      await release.promise;
    });
    const id = await queue.publish({ type: 'x' });
    await extended.promise;
    expect(seen).toBeDefined();
    expect(seen!.same).toBe(true);
    expect(seen!.spread).toEqual({ attempt: 1, extendLease: seen!.extendLease, progress: seen!.progress, signal: seen!.signal });
    const status = await queue.getStatus(id);
    expect(status!.state).toBe('processing');
    expect(status!.nextAt! - Date.now()).toBeGreaterThan(15_000);
    release.resolve();
    await waitFor(async () => (await queue.getStatus(id))?.state === 'completed', 'completion');
  });

  test('a timeout fires the AbortSignal and counts as a failed attempt', async () => {
    const { queue } = make({ maxRetries: 1, backoff: { baseMs: 10, jitter: 0 } });
    const reasons: unknown[] = [];
    queue.process('slow', async (_m, ctx) => {
      if (ctx.attempt === 1) {
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        reasons.push(ctx.signal.reason);
        return 'late';
      }
      return 'second';
    });
    const id = await queue.publish({ type: 'slow', timeoutMs: 100 });
    await waitFor(async () => (await queue.getStatus(id))?.state === 'completed', 'completion');
    expect(reasons[0]).toBeInstanceOf(TaskTimeoutError);
    const status = await queue.getStatus(id);
    expect(status).toMatchObject({ result: 'second', attempts: 2 });
    expect(await queue.stats()).toMatchObject({ total_failed: 1, total_retried: 1, total_processed: 1 });
  });

  test("a handler's own timeoutMs is the same one limit: the smaller of it and the message's applies", async () => {
    const { queue } = make({ maxRetries: 0 });
    const limits: number[] = [];
    const hang = async (m: QueueMessage, ctx: { signal: AbortSignal }) => {
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      limits.push((ctx.signal.reason as TaskTimeoutError).timeoutMs);
      return m.id;
    };
    queue.process('handler-limit', hang, { timeoutMs: 60 });
    queue.process('message-limit', hang, { timeoutMs: 60_000 });
    expect(() => queue.process('bad-limit', hang, { timeoutMs: -1 })).toThrow(InvalidOptionError);
    const a = await queue.publish({ type: 'handler-limit' }); // message without a limit: the handler's 60 ms
    const b = await queue.publish({ type: 'message-limit', timeoutMs: 80 }); // the message's 80 ms is smaller
    for (const id of [a, b]) await waitFor(async () => (await queue.getStatus(id))?.state === 'dead', 'the timed-out attempt');
    expect((await queue.getStatus(a))?.error?.name).toBe('TaskTimeoutError');
    expect(limits.sort((x, y) => x - y)).toEqual([60, 80]);
  });

  test('graceful close lets handlers finish, then puts unfinished messages back', async () => {
    const name = uniqueName();
    const { queue } = fixture.create({ name });
    const started: string[] = [];
    queue.process<string>(
      'g',
      async (m, ctx) => {
        started.push(m.payload);
        if (m.payload === 'quick') await sleep(50);
        else await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      },
      { concurrency: 2 },
    );
    const [quick, stuck] = await queue.publishBatch([
      { type: 'g', payload: 'quick' },
      { type: 'g', payload: 'stuck' },
    ]);
    await waitFor(() => started.length === 2, 'both started');
    await queue.close({ drainTimeoutMs: 300 });
    expect((await queue.getStatus(quick))!.state).toBe('completed');
    const back = await queue.getStatus(stuck);
    expect(back).toMatchObject({ state: 'pending', attempts: 0 });
    const { queue: next } = fixture.create({ name });
    const got = deferred<QueueMessage>();
    next.process('g', (m) => got.resolve(m));
    expect(await got.promise).toMatchObject({ id: stuck, attempt: 1 });
    await expect(queue.publish({ type: 'g' })).rejects.toMatchObject({ code: 'QUEUE_CLOSED' });
  });

  test('stopWorkers: nothing more starts, held messages go back (attempt not counted), the running one finishes; publishing goes on', async () => {
    const name = uniqueName();
    const { queue } = fixture.create({ name });
    const started: number[] = [];
    const release = deferred();
    queue.process<number>(
      's',
      async (m) => {
        started.push(m.payload);
        if (m.payload === 0) await release.promise;
      },
      { concurrency: 1 },
    );
    // one partition key: FIFO on a partitioned queue too
    await queue.publishBatch(Array.from({ length: 20 }, (_, i) => ({ type: 's', payload: i, partitionKey: 'k' })));
    await waitFor(() => started.length === 1, 'the first started');
    await waitFor(() => queue.localInFlight > 1, 'more held behind it');
    const stopping = queue.stopWorkers({ drainTimeoutMs: 60_000 });
    // the held ones go back at once, while the running one still runs
    await waitFor(async () => (await queue.stats()).queue_length.normal === 19, 'the held ones back in the tier');
    release.resolve();
    await stopping;
    expect(started).toEqual([0]);
    const stats = await queue.stats();
    expect(stats).toMatchObject({ processing_count: 0, total_processed: 1, total_retried: 0 });
    // publishing still works; nothing of it starts here
    await queue.publish({ type: 's', payload: 20, partitionKey: 'k' });
    expect(() => queue.process('other', () => undefined)).toThrow(InvalidOptionError);
    await expect(queue.stopWorkers({ drainTimeoutMs: -1 })).rejects.toMatchObject({ path: 'stopWorkers.drainTimeoutMs' });
    await queue.close({ drainTimeoutMs: 1000 });
    const { queue: next } = fixture.create({ name });
    const seen: Array<{ n: number; attempt: number }> = [];
    next.process<number>('s', (m, ctx) => void seen.push({ n: m.payload, attempt: ctx.attempt }), { concurrency: 1 });
    await waitFor(() => seen.length === 20, 'the rest elsewhere');
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => ({ n: i + 1, attempt: 1 })));
  });
}
