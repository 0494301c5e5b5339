import { InvalidOptionError, Priority, QueueOptions } from '../../src';
import type { Delivery, QueueStore } from '../../src/queue/queue-store';
import type { StoreBackedQueue } from '../../src/queue/task-queue';
import { sleep, waitFor } from '../support/wait';
import { lowsStartedAfterCriticals } from './lows-after-criticals';

type Make = (options?: Partial<QueueOptions>) => { queue: StoreBackedQueue; store: QueueStore; name: string };

const payloads = (deliveries: Delivery[]) => deliveries.map((d) => JSON.parse(d.body!.slice(d.body!.lastIndexOf('|') + 1)) as string);
const done = (d: Delivery) => ({ id: d.id, attempt: d.attempt, lease: d.lease, record: '' });

/**
 * Groups (docs/queue.md, "Groups"), run by the queue conformance suite on every backend: round-robin
 * between the ready groups of a tier, the ungrouped messages as one shared turn, the per-group
 * concurrency limit across workers, and the features that must keep working with groups.
 */
export function describeGroupConformance(make: Make, partitions = 1): void {
  /**
   * Store-level checks of the turn order. On a partitioned queue each group lives in one partition
   * (the group is the default partition key) and turns are taken within each partition, while the
   * partitioned store splits a fetch between partitions by what their last replies showed
   * (docs/queue.md, "Groups" and "Partitioned queues"): there the same messages are taken and each
   * group's own order holds (the ungrouped ones, spread round robin, keep none).
   */
  const expectTurns = (got: string[], expected: string[]) => {
    if (partitions === 1) return expect(got).toEqual(expected);
    expect([...got].sort()).toEqual([...expected].sort());
    const groupOf = (p: string) => p.slice(0, 1);
    for (const g of new Set(expected.map(groupOf).filter((g) => g !== 'u'))) {
      expect(got.filter((p) => groupOf(p) === g)).toEqual(expected.filter((p) => groupOf(p) === g));
    }
  };
  describe('groups', () => {
    test('a fetch serves the ready groups of a tier in turn, the ungrouped messages sharing one turn; handlers see the group', async () => {
      const { queue, store } = make();
      await queue.publishBatch(['a1', 'a2', 'a3', 'a4', 'a5'].map((p) => ({ type: 't', payload: p, group: 'A' })));
      await queue.publishBatch(['b1', 'b2'].map((p) => ({ type: 't', payload: p, group: 'B' })));
      await queue.publishBatch(['u1', 'u2'].map((p) => ({ type: 't', payload: p })));
      expectTurns(payloads((await store.fetch(100, 30_000, null, 0)).deliveries), ['a1', 'b1', 'u1', 'a2', 'b2', 'u2', 'a3', 'a4', 'a5']);

      // one at a time: the rotation carries on from fetch to fetch
      const { queue: q2, store: s2 } = make();
      await q2.publishBatch(['a1', 'a2', 'a3'].map((p) => ({ type: 't', payload: p, group: 'A' })));
      await q2.publishBatch(['b1', 'b2'].map((p) => ({ type: 't', payload: p, group: 'B' })));
      const order: string[] = [];
      for (let i = 0; i < 5; i++) order.push(...payloads((await s2.fetch(1, 30_000, null, 0)).deliveries));
      expectTurns(order, ['a1', 'b1', 'a2', 'b2', 'a3']);

      const { queue: q3 } = make();
      const seen: Array<string | undefined> = [];
      q3.process('t', (m) => void seen.push(m.group));
      await q3.publish({ type: 't', payload: 1, group: 'meeting-42' });
      await q3.publish({ type: 't', payload: 2 });
      await waitFor(() => seen.length === 2, 'both messages');
      expect(partitions === 1 ? seen : [...seen].sort()).toEqual(['meeting-42', undefined]);
      await expect(q3.publish({ type: 't', group: 'a|b' })).rejects.toThrow(InvalidOptionError);
      await expect(q3.publish({ type: 't', group: '' })).rejects.toThrow(/publish\.group/);
      expect(() => make({ groupConcurrency: 0 })).toThrow(/groupConcurrency/);
    });

    test('priority first: a critical message of any group goes before normal messages of every group', async () => {
      const { queue, store } = make();
      await queue.publishBatch(['a1', 'a2'].map((p) => ({ type: 't', payload: p, group: 'A' })));
      await queue.publishBatch(['b1', 'b2'].map((p) => ({ type: 't', payload: p, group: 'B' })));
      await queue.publish({ type: 't', payload: 'u-low', priority: 'low' });
      await queue.publish({ type: 't', payload: 'c-crit', group: 'C', priority: 'critical' });
      await queue.publish({ type: 't', payload: 'u-crit', priority: 'critical' });
      const first = await store.fetch(2, 30_000, null, 0);
      let criticals = payloads(first.deliveries);
      if (partitions > 1) {
        // a partitioned store that has not yet seen the partitions may take lower tiers first, but
        // its reply shows the critical tier, so the worker's next look takes them (docs/queue.md,
        // "Partitioned queues": the bound of one partition)
        if (criticals.some((p) => !p.endsWith('-crit'))) expect(first.tiersLeft & 0b0001).toBe(1);
        criticals = criticals.filter((p) => p.endsWith('-crit'));
        const second = await store.fetch(2 - criticals.length, 30_000, null, 0);
        criticals.push(...payloads(second.deliveries));
        const rest = payloads([...first.deliveries, ...second.deliveries]).filter((p) => !p.endsWith('-crit'));
        expectTurns(rest.concat(payloads((await store.fetch(100, 30_000, null, 0)).deliveries)), ['a1', 'b1', 'a2', 'b2', 'u-low']);
        expect(criticals.sort()).toEqual(['c-crit', 'u-crit']);
        return;
      }
      expect(criticals.sort()).toEqual(['c-crit', 'u-crit']);
      // normal and low still wait: reported as ready tiers (bit 2 normal, bit 3 low)
      expect(first.tiersLeft).toBe(0b1100);
      expect(payloads((await store.fetch(100, 30_000, null, 0)).deliveries)).toEqual(['a1', 'b1', 'a2', 'b2', 'u-low']);
    });

    test('strict preemption holds with groups: criticals published while a worker holds grouped lows start before more than `concurrency` further lows', async () => {
      const { queue } = make();
      const concurrency = 4;
      expect(await lowsStartedAfterCriticals(queue, concurrency, 20, { lows: 10, criticals: 3 })).toBeLessThanOrEqual(concurrency);
      await queue.pause();
    });

    test('group A with 10,000 queued, then group B with 10: B starts within the next few dozen starts', async () => {
      const { queue } = make({ concurrency: 4 });
      for (let i = 0; i < 10_000; i += 2_500) {
        await queue.publishBatch(Array.from({ length: 2_500 }, (_, j) => ({ type: 'stt', payload: `a${i + j}`, group: 'A' })));
      }
      const starts: string[] = [];
      // handlers of a few ms: the worker's look-ahead is then 2 x concurrency (docs/queue.md, "Groups")
      queue.process<string>('stt', async (m) => {
        starts.push(m.payload);
        await sleep(3);
      });
      await waitFor(() => starts.length >= 50, 'A running');
      await queue.publishBatch(Array.from({ length: 10 }, (_, i) => ({ type: 'stt', payload: `b${i}`, group: 'B' })));
      const at = starts.length;
      await waitFor(() => starts.filter((p) => p.startsWith('b')).length === 10, 'all of B');
      const lastB = starts.lastIndexOf('b9');
      // in turn: B's 10 need about 20 starts, plus what the worker held when B arrived (2 x concurrency)
      expect(lastB - at).toBeLessThan(40);
      await queue.pause();
    });

    test('groupConcurrency: a group at its limit leaves the rotation until one of its deliveries ends (complete, fail, release, lease expiry)', async () => {
      const { queue, store } = make({ groupConcurrency: 2 });
      await queue.publishBatch(['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map((p) => ({ type: 't', payload: p, group: 'A' })));
      await queue.publish({ type: 't', payload: 'b1', group: 'B' });
      const first = await store.fetch(10, 30_000, null, 0);
      expectTurns(payloads(first.deliveries), ['a1', 'b1', 'a2']);
      const taken = (p: string) => first.deliveries[payloads(first.deliveries).indexOf(p)];
      // A is blocked: not reported as ready, nothing to take
      expect(first.tiersLeft).toBe(0);
      expect((await store.fetch(10, 30_000, null, 0)).deliveries).toEqual([]);
      expect((await store.counts()).groups).toMatchObject({ blocked: 1, running: 2 });
      // completion: A back, one more
      expect(await store.complete([done(taken('a1'))])).toEqual([]);
      const second = await store.fetch(10, 30_000, null, 0);
      expect(payloads(second.deliveries)).toEqual(['a3']);
      // release (put back at the head of A, attempt not counted): A back, a3 again first
      await store.release([second.deliveries[0]], 0);
      expect(payloads((await store.fetch(10, 30_000, null, 0)).deliveries)).toEqual(['a3']);
      // fail (retry at once): a2 to the tail of A; A gets one slot back
      expect(await store.fail(taken('a2'), { kind: 'retry', delayMs: 0, errorJson: '{}' })).toBe(true);
      expect(payloads((await store.fetch(10, 30_000, null, 0)).deliveries)).toEqual(['a4']);
      // lease expiry: the slot is free again and the message goes back to the head of its group
      const { queue: q2, store: s2 } = make({ groupConcurrency: 1 });
      await q2.publishBatch(['x1', 'x2'].map((p) => ({ type: 't', payload: p, group: 'X' })));
      expect(payloads((await s2.fetch(10, 150, null, 0)).deliveries)).toEqual(['x1']);
      const again = await waitFor(async () => {
        const got = await s2.fetch(10, 30_000, null, 0);
        return got.deliveries.length > 0 ? got : null;
      }, 'x1 redelivered after its lease expired');
      expect(payloads(again!.deliveries)).toEqual(['x1']);
      expect(again!.deliveries[0].attempt).toBe(2);
    });

    test('a worker idle while every group is blocked is woken when a delivery of the group ends (no polling)', async () => {
      const { name, store } = make({ groupConcurrency: 1 });
      const { queue } = make({ name, groupConcurrency: 1 });
      await queue.publishBatch(['y1', 'y2'].map((p) => ({ type: 't', payload: p, group: 'Y' })));
      const held = await store.fetch(10, 30_000, null, 0);
      expect(payloads(held.deliveries)).toEqual(['y1']);
      const empty = await store.fetch(10, 30_000, null, 0);
      expect(empty.deliveries).toEqual([]);
      // a wake-up token the publish left is used up first
      await store.waitForWork(10, { precise: false, max: 0, leaseMs: 30_000, weights: null, random: 0, limits: [], onResult: () => undefined });
      // an idle wait of 30 s (as a worker's idle block), ended by the completion of y1
      const started = Date.now();
      let ended = false;
      const waiting = store
        .waitForWork(30_000, { precise: false, max: 10, leaseMs: 30_000, weights: null, random: 0, limits: [], onResult: () => undefined })
        .finally(() => (ended = true));
      await sleep(50);
      // nothing woke it yet (on a partitioned queue: not the end of an earlier, shorter wait of another partition)
      expect(ended).toBe(false);
      await store.complete([done(held.deliveries[0])]);
      const woken = await waiting;
      expect(Date.now() - started).toBeLessThan(15_000);
      // a store that fetches on wake-up (Redis) answers with y2 (partitioned: the partition that woke);
      // one that does not (memory) resolves to null, and the next fetch takes y2. On a partitioned
      // queue the wake-up may end a partition's wait left from the short wait above (its share was 0):
      // it answers with a look only (max 0) that says work is there, and the worker fetches (as here).
      const next = woken && woken.max > 0 ? woken.result.deliveries : (await store.fetch(10, 30_000, null, 0)).deliveries;
      expect(payloads(next)).toEqual(['y2']);
    });

    test('groupConcurrency 2 with three workers: never more than 2 of a group run at once (checked by the handlers)', async () => {
      const { name, queue: producer } = make({ groupConcurrency: 2 });
      const running = new Map<string, number>();
      let most = 0;
      let over = 0;
      let finished = 0;
      const workers = [0, 1, 2].map(() => make({ name, groupConcurrency: 2, concurrency: 3 }).queue);
      for (const w of workers) {
        w.process<number>('job', async (m) => {
          const now = (running.get(m.group!) ?? 0) + 1;
          running.set(m.group!, now);
          most = Math.max(most, now);
          if (now > 2) over++;
          await sleep(2);
          running.set(m.group!, running.get(m.group!)! - 1);
          finished++;
        });
      }
      for (const g of ['m1', 'm2', 'm3']) await producer.publishBatch(Array.from({ length: 20 }, (_, i) => ({ type: 'job', payload: i, group: g })));
      await waitFor(() => finished === 60, 'all 60 jobs');
      expect(over).toBe(0);
      expect(most).toBe(2);
      expect((await producer.stats()).queue_length.normal).toBe(0);
    });

    test('rate limits with groups: a limited head holds its own group only; whole-queue limits count grouped messages', async () => {
      const { queue, store } = make();
      await queue.publishBatch(['s1', 's2'].map((p) => ({ type: 'speech', payload: p, group: 'A' })));
      await queue.publishBatch(['o1', 'o2'].map((p) => ({ type: 'other', payload: p, group: 'B' })));
      const limits = [{ name: 'speech', max: 1, perMs: 60_000 }];
      const got = await store.fetch(100, 30_000, null, 0, limits);
      expectTurns(payloads(got.deliveries), ['s1', 'o1', 'o2']);
      expect(got.tiersLeft).toBe(0);
      expect(got.nextWakeMs).toBeGreaterThan(10_000);
      // a whole-queue limit of a partitioned queue is kept per partition (docs/queue.md, "Partitioned queues")
      if (partitions > 1) return;
      const { queue: q2, store: s2 } = make();
      await q2.publishBatch(['a1', 'a2', 'a3', 'a4', 'a5'].map((p) => ({ type: 't', payload: p, group: 'A' })));
      await q2.publishBatch(['u1', 'u2'].map((p) => ({ type: 't', payload: p })));
      expect(payloads((await s2.fetch(100, 30_000, null, 0, [{ name: '*', max: 3, perMs: 60_000 }])).deliveries)).toEqual(['a1', 'a2', 'a3']);
      expect((await s2.fetch(100, 30_000, null, 0, [{ name: '*', max: 3, perMs: 60_000 }])).deliveries).toEqual([]);
      // the group cut short by the limit keeps its turn: nothing is stranded
      expect(payloads((await s2.fetch(100, 30_000, null, 0)).deliveries).sort()).toEqual(['a4', 'a5', 'u1', 'u2']);
    });

    test('grouped messages are counted, pending, cancellable, delayed, retried, dead-lettered and replayed into their group; idempotency holds', async () => {
      const { queue, store } = make({ maxRetries: 0 });
      const [a1, a2] = await queue.publishBatch(['a1', 'a2'].map((p) => ({ type: 't', payload: p, group: 'A' })));
      const key = await queue.publish({ type: 't', payload: 'k', group: 'K', idempotencyKey: 'once' });
      expect(await queue.publish({ type: 't', payload: 'k', group: 'K', idempotencyKey: 'once' })).toBe(key);
      expect((await queue.stats()).queue_length.normal).toBe(3);
      expect(await queue.getStatus(a2)).toMatchObject({ state: 'pending' });
      expect(await queue.cancel(a2)).toBe(true);
      expect(await queue.cancel(key)).toBe(true);
      expect((await queue.stats()).queue_length.normal).toBe(1);
      const one = await store.fetch(10, 30_000, null, 0);
      expect(one.deliveries.map((d) => d.id)).toEqual([a1]);
      // a delayed one (published now: on a busy machine 100 ms may pass before the fetch above)
      // becomes ready in A's high-tier list
      await queue.publish({ type: 't', payload: 'later', group: 'A', delayMs: 100, priority: 'high' as Priority });
      const high = await waitFor(async () => {
        const got = await store.fetch(1, 30_000, null, 0);
        return got.deliveries.length > 0 ? got : null;
      }, 'the delayed message');
      expect(payloads(high!.deliveries)).toEqual(['later']);
      // dead-lettered (maxRetries 0), replayed back into A
      await store.fail(one.deliveries[0], { kind: 'dead', infoJson: '{"reason":"x"}', countsAsFailure: true });
      expect(await queue.deadLetters.replay(a1)).toBeUndefined();
      const replayed = await store.fetch(10, 30_000, null, 0);
      expect(replayed.deliveries.map((d) => d.id)).toEqual([a1]);
      await store.complete([done(replayed.deliveries[0]), done(high!.deliveries[0])]);
      expect((await store.counts()).groups).toEqual({ ready: 0, blocked: 0, running: 0 });
    });

    test('pause holds grouped messages; weighted mode draws grouped tiers', async () => {
      const { queue, store } = make();
      await queue.publishBatch(['a1', 'a2'].map((p) => ({ type: 't', payload: p, group: 'A' })));
      await queue.pause();
      expect((await store.fetch(10, 30_000, null, 0)).paused).toBe(true);
      await queue.resume();
      await queue.publishBatch(Array.from({ length: 4 }, (_, i) => ({ type: 't', payload: `c${i}`, group: `G${i}`, priority: 'critical' as Priority })));
      const got = await store.fetch(6, 30_000, [8, 4, 2, 1], 0);
      expect(payloads(got.deliveries).sort()).toEqual(['a1', 'a2', 'c0', 'c1', 'c2', 'c3']);
      // a group done frees nothing it does not hold: no negative counts
      await store.complete(got.deliveries.map(done));
      expect((await store.counts()).groups).toEqual({ ready: 0, blocked: 0, running: 0 });
    });
  });
}
