import type { Priority, QueueOptions } from '../../src';
import { deferred, sleep, waitFor } from '../support/wait';
import { lowsStartedAfterCriticals } from './lows-after-criticals';
import type { Conformance } from './queue.conformance-support';
import { uniqueName } from './queue.conformance-support';

/**
 * Scheduling, run by the queue conformance suite on every backend: the order of the tiers in strict
 * and weighted mode, how soon a critical published behind a backlog of lows starts, and pause and
 * resume (nothing starts once paused; held messages go back to the head).
 */
export function describeSchedulingConformance({ fixture, make, partitions }: Conformance): void {
  test('strict mode: highest non-empty tier first, FIFO inside a tier (of one partition key)', async () => {
    const { queue } = make({ prefetch: 1 });
    const published: Array<[Priority, number]> = [
      ['low', 1],
      ['normal', 2],
      ['critical', 3],
      ['high', 4],
      ['low', 5],
      ['critical', 6],
      ['normal', 7],
      ['high', 8],
    ];
    // one partition key: one partition, so FIFO holds (a queue of one partition ignores the key)
    for (const [priority, n] of published) await queue.publish({ type: 't', payload: n, priority, partitionKey: 'meeting-1' });
    const order: number[] = [];
    queue.process<number>('t', (m) => void order.push(m.payload), { concurrency: 1 });
    await waitFor(() => order.length === published.length, 'all messages');
    expect(order).toEqual([3, 6, 4, 8, 2, 7, 1, 5]);
  });

  test('strict mode across partitions: messages without a key (round robin) still run highest tier first; each key keeps its order', async () => {
    const { queue } = make({ prefetch: 1 });
    const tiers: Priority[] = ['low', 'normal', 'high', 'critical'];
    const batch = Array.from({ length: 40 }, (_, i) => ({ type: 't', payload: `${tiers[i % 4]}:${i}`, priority: tiers[i % 4], partitionKey: `k${i % 5}` }));
    for (const m of batch) await queue.publish(m);
    const order: string[] = [];
    queue.process<string>('t', (m) => void order.push(m.payload), { concurrency: 1 });
    await waitFor(() => order.length === batch.length, 'all messages');
    const rank = (payload: string) => tiers.length - 1 - tiers.indexOf(payload.split(':')[0] as Priority);
    expect(order.map(rank)).toEqual([...order.map(rank)].sort((a, b) => a - b));
    // inside a tier, the messages of one key run in publish order
    for (let k = 0; k < 5; k++) {
      const ofKey = order.map((p) => Number(p.split(':')[1])).filter((i) => i % 5 === k);
      for (const tier of tiers) {
        const mine = ofKey.filter((i) => tiers[i % 4] === tier);
        expect(mine).toEqual([...mine].sort((a, b) => a - b));
      }
    }
  });

  test('weighted mode: tiers drawn in proportion to their weights, low never starved', async () => {
    const { queue } = make({ prefetch: 10, scheduling: { mode: 'weighted', weights: { critical: 8, high: 4, normal: 2, low: 1 } } });
    const tiers: Priority[] = ['critical', 'high', 'normal', 'low'];
    await queue.pause();
    for (const priority of tiers) {
      await queue.publishBatch(Array.from({ length: 300 }, () => ({ type: 'w', payload: priority, priority })));
    }
    const seen: Priority[] = [];
    queue.process<Priority>('w', (m) => void seen.push(m.payload), { concurrency: 1 });
    await queue.resume();
    await waitFor(() => seen.length >= 300, '300 messages');
    const first = seen.slice(0, 300);
    const share = (p: Priority) => first.filter((x) => x === p).length;
    // expected 160 : 80 : 40 : 20. One store draws a low-discrepancy sequence, so the spread is
    // small. The partitions of a partitioned queue each draw from their own stretch of it, over their
    // own tiers (docs/architecture.md, "Partitioned queues"), so the shares spread more: 4 partitions,
    // 24 quiet runs, critical 149-160, high 79-89, normal 39-48, low 16-22; normal 51 once in CI.
    const slack = partitions === 1 ? { critical: 15, high: 12, normal: 8, low: 6 } : { critical: 25, high: 20, normal: 16, low: 9 };
    for (const [tier, expected] of [
      ['critical', 160],
      ['high', 80],
      ['normal', 40],
      ['low', 20],
    ] as const) {
      expect(share(tier)).toBeGreaterThan(expected - slack[tier]);
      expect(share(tier)).toBeLessThan(expected + slack[tier]);
    }
  });

  /** {@link lowsStartedAfterCriticals} on a new queue of `options`, closed after. */
  async function lowsOnNewQueue(options: Partial<QueueOptions>, concurrency: number, criticals: number): Promise<number> {
    const { queue } = make(options);
    const lows = await lowsStartedAfterCriticals(queue, concurrency, criticals);
    await queue.close({ drainTimeoutMs: 1000 });
    return lows;
  }

  test('strict mode: critical messages published while a worker holds lows start before more than `concurrency` further lows', async () => {
    expect(await lowsOnNewQueue({}, 1, 20)).toBeLessThanOrEqual(1);
    expect(await lowsOnNewQueue({}, 4, 20)).toBeLessThanOrEqual(4);
  });

  test('strict mode: a critical published while every slot runs a low starts before any further low (the look before a start is current)', async () => {
    // Each slot's handler is held at a gate while the critical is published, then runs 20 ms more:
    // what the worker learnt from its last look is older than its freshness window when the slots
    // free, so it looks again first, sees the critical and starts no further low. (With a start
    // budget alone, up to `concurrency` lows could start on the strength of a look sent before the publish.)
    const { queue } = make();
    const concurrency = 4;
    await queue.publishBatch(Array.from({ length: 400 }, () => ({ type: 'gate', payload: 'low', priority: 'low' as Priority })));
    const starts: string[] = [];
    let gate: { promise: Promise<void>; resolve: (value: void) => void } | undefined;
    let atGate = 0;
    queue.process<string>(
      'gate',
      async (m) => {
        starts.push(m.payload);
        if (gate && m.payload === 'low') {
          atGate++;
          await gate.promise;
          await sleep(20);
        } else {
          await sleep(1);
        }
      },
      { concurrency },
    );
    await waitFor(() => starts.length >= 100, '100 lows started');
    gate = deferred<void>();
    await waitFor(() => atGate === concurrency, 'every slot held at the gate');
    await queue.publish({ type: 'gate', payload: 'critical', priority: 'critical' });
    const publishedAt = starts.length;
    gate.resolve();
    await waitFor(() => starts.includes('critical'), 'the critical started');
    expect(starts.slice(publishedAt, starts.indexOf('critical'))).toEqual([]);
    gate = undefined;
    await queue.close({ drainTimeoutMs: 1000 });
  });

  test('weighted mode: a critical published while a worker holds lows starts before more than `concurrency` + 1 further lows', async () => {
    // weights 8 : 1 between the two non-empty tiers: the golden-ratio draws never take two lows in a row
    const weighted: Partial<QueueOptions> = { scheduling: { mode: 'weighted', weights: { critical: 8, high: 4, normal: 2, low: 1 } } };
    expect(await lowsOnNewQueue(weighted, 1, 1)).toBeLessThanOrEqual(2);
    expect(await lowsOnNewQueue(weighted, 4, 1)).toBeLessThanOrEqual(5);
  });

  test('pause: nothing starts after pause() resolves; held messages go back to the head, attempt not counted', async () => {
    const name = uniqueName();
    const { queue } = fixture.create({ name });
    const N = 300;
    // one partition key: FIFO (a partitioned queue keeps it per key)
    await queue.publishBatch(Array.from({ length: N }, (_, i) => ({ type: 'ps', payload: i, priority: 'low' as Priority, partitionKey: 'k' })));
    const started: Array<{ n: number; attempt: number }> = [];
    queue.process<number>(
      'ps',
      async (m, ctx) => {
        started.push({ n: m.payload, attempt: ctx.attempt });
        await sleep(1);
      },
      { concurrency: 1 },
    );
    await waitFor(() => started.length >= 100, '100 started');
    await queue.pause();
    const atPause = started.length;
    // the running handler finishes; nothing else is in flight: everything held went back
    await waitFor(async () => (await queue.stats()).processing_count === 0, 'nothing in flight');
    expect(queue.localInFlight).toBe(0);
    await sleep(50);
    expect(started.length).toBe(atPause);
    const stats = await queue.stats();
    expect(stats.queue_length.low).toBe(N - atPause);
    expect(stats.total_retried).toBe(0);
    await queue.resume();
    await waitFor(() => started.length === N, 'all after resume');
    // FIFO at concurrency 1: the put-back messages came first again, in order, each on attempt 1
    expect(started.map((s) => s.n)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(started.every((s) => s.attempt === 1)).toBe(true);
  });

  test.each(['low', 'critical'] as const)(
    'pause seen by another process: it starts at most its concurrency further messages, then puts back what it holds (%s)',
    async (priority) => {
      const name = uniqueName();
      const { queue: controller } = fixture.create({ name });
      const { queue: worker } = fixture.create({ name });
      // after 100 starts the worker's look-ahead (up to 66 here) holds the last 50: nothing more to
      // fetch, so only its looks at the store (critical messages included) can show it the pause
      const N = 150;
      await controller.publishBatch(Array.from({ length: N }, (_, i) => ({ type: 'px', payload: i, priority })));
      let started = 0;
      worker.process<number>(
        'px',
        async () => {
          started++;
          await sleep(1);
        },
        { concurrency: 2 },
      );
      await waitFor(() => started >= 100, '100 started');
      await controller.pause();
      const atPause = started;
      await waitFor(async () => (await controller.stats()).processing_count === 0 && worker.localInFlight === 0, 'the worker held nothing more');
      expect(started - atPause).toBeLessThanOrEqual(2);
      const stats = await controller.stats();
      expect(stats.queue_length[priority]).toBe(N - started);
      expect(stats.total_retried).toBe(0);
      await controller.resume();
      await waitFor(() => started === N, 'all after resume');
    },
  );

  test('pause stops every worker from taking work; resume restarts them', async () => {
    const { queue } = make();
    let calls = 0;
    queue.process('p', () => void calls++);
    await queue.pause();
    expect(await queue.isPaused()).toBe(true);
    await queue.publishBatch([{ type: 'p' }, { type: 'p' }]);
    await sleep(200);
    expect(calls).toBe(0);
    expect((await queue.stats()).queue_length.normal).toBe(2);
    await queue.resume();
    await waitFor(() => calls === 2, 'both after resume');
  });
}
