import type { Priority } from '../../src';
import { sleep, waitFor } from '../support/wait';
import type { Conformance } from './queue.conformance-support';

/**
 * Rate limits, run by the queue conformance suite on every backend: per-type and whole-queue limits
 * at the store's fetch and in a worker's waits. The exact token counts hold for one partition only
 * (a partitioned queue splits each limit over its partitions: queue-partitions.spec.ts checks that
 * bound), so those tests run only when `partitions` is 1.
 */
export function describeRateLimitConformance({ make, partitions }: Conformance): void {
  describe('rate limits', () => {
    const types = (deliveries: Array<{ body: string | null }>) => deliveries.map((d) => d.body?.split('|')[5]);
    /** Exact token counts: one partition only (see the header). */
    const exactTest = partitions === 1 ? test : test.skip;

    exactTest('a limited type takes at most max per window; other types on the queue are taken past it; nothing is lost', async () => {
      const { queue, store } = make();
      await queue.publishBatch(Array.from({ length: 10 }, (_, i) => ({ type: 'speech', payload: i })));
      await queue.publishBatch(Array.from({ length: 10 }, (_, i) => ({ type: 'other', payload: i })));
      const limits = [{ name: 'speech', max: 3, perMs: 60_000 }];
      const first = await store.fetch(100, 30_000, null, 0, limits);
      expect(types(first.deliveries).sort()).toEqual([...Array(3).fill('speech'), ...Array(10).fill('other')].sort());
      // what is left cannot run now: not reported as ready (workers do not spin on it), and the
      // next token's due time is where the worker's wait ends
      expect(first.tiersLeft).toBe(0);
      expect(first.nextWakeMs).toBeGreaterThan(10_000);
      expect(first.nextWakeMs).toBeLessThanOrEqual(20_000);
      const second = await store.fetch(100, 30_000, null, 0, limits);
      expect(second.deliveries).toEqual([]);
      // without the limit the skipped ones are all there, in their order
      const rest = await store.fetch(100, 30_000, null, 0);
      expect(rest.deliveries.map((d) => d.body?.split('|').pop())).toEqual(['3', '4', '5', '6', '7', '8', '9']);
    });

    exactTest('a limited backlog longer than one scan does not hold other types back; held-back messages stay pending, counted and cancellable', async () => {
      const { queue, store } = make();
      const speech = await queue.publishBatch(Array.from({ length: 700 }, (_, i) => ({ type: 'speech', payload: i })));
      await queue.publishBatch(Array.from({ length: 5 }, (_, i) => ({ type: 'other', payload: i })));
      const limits = [{ name: 'speech', max: 1, perMs: 60_000 }];
      const got: Array<string | undefined> = [];
      // each fetch looks at a bounded part of the tier and moves what it holds back out of the way
      for (let i = 0; i < 10 && got.filter((t) => t === 'other').length < 5; i++) {
        got.push(...types((await store.fetch(100, 30_000, null, 0, limits)).deliveries));
      }
      expect(got.filter((t) => t === 'other')).toHaveLength(5);
      expect(got.filter((t) => t === 'speech')).toHaveLength(1);
      expect((await queue.stats()).queue_length.normal).toBe(699);
      expect(await queue.getStatus(speech[500])).toMatchObject({ state: 'pending' });
      expect(await queue.cancel(speech[500])).toBe(true);
      expect((await queue.stats()).queue_length.normal).toBe(698);
      // a fetch without limits (the limit removed from the configuration) gets them back in order
      const rest = await store.fetch(1000, 30_000, null, 0);
      expect(rest.deliveries.map((d) => Number(d.body?.split('|').pop()))).toEqual(Array.from({ length: 699 }, (_, i) => i + 1).filter((n) => n !== 500));
    });

    exactTest('priorities hold inside the limit; a whole-queue limit counts every type', async () => {
      const { queue, store } = make();
      await queue.publishBatch(Array.from({ length: 4 }, (_, i) => ({ type: 'speech', payload: `low${i}`, priority: 'low' as Priority })));
      await queue.publish({ type: 'speech', payload: 'crit', priority: 'critical' });
      const taken = await store.fetch(100, 30_000, null, 0, [{ name: 'speech', max: 2, perMs: 60_000 }]);
      expect(taken.deliveries.map((d) => d.body?.split('|').pop())).toEqual(['"crit"', '"low0"']);

      const { queue: q2, store: s2 } = make();
      await q2.publishBatch(Array.from({ length: 6 }, (_, i) => ({ type: i % 2 ? 'a' : 'b', payload: i })));
      const whole = [{ name: '*', max: 4, perMs: 60_000 }];
      const got = await s2.fetch(100, 30_000, null, 0, whole);
      expect(got.deliveries.map((d) => d.body?.split('|').pop())).toEqual(['0', '1', '2', '3']);
      expect(got.tiersLeft).toBe(0);
      expect(got.nextWakeMs).toBeGreaterThan(5_000);
      expect((await s2.fetch(100, 30_000, null, 0, whole)).deliveries).toEqual([]);
    });

    test('a worker whose limited backlog has no token waits for the token without polling the store', async () => {
      const { queue, store } = make({ rateLimits: { slow: { max: 1, perMs: 1500 } } });
      await queue.publishBatch(Array.from({ length: 2 }, (_, i) => ({ type: 'slow', payload: i })));
      let calls = 0;
      const fetch = store.fetch.bind(store);
      const wait = store.waitForWork.bind(store);
      store.fetch = (...args) => (calls++, fetch(...args));
      store.waitForWork = (...args) => (calls++, wait(...args));
      const seen: number[] = [];
      let callsAtFirst = -1;
      queue.process<number>('slow', (m) => {
        if (seen.push(m.payload) === 1) callsAtFirst = calls;
      });
      await waitFor(() => seen.length === 2, 'the second message, one token later', 10_000);
      // between the two starts (1.5 s): a look or two and one blocking wait that ends at the token, not a poll loop
      expect(calls - callsAtFirst).toBeLessThanOrEqual(8);
    });

    exactTest('held-back messages whose token is due are reported takeable, also to a look that takes nothing, and a weighted fetch takes them', async () => {
      const { queue, store } = make();
      await queue.publishBatch(Array.from({ length: 3 }, (_, i) => ({ type: 'slow', payload: i })));
      // `idle` has tokens and no messages: it does not make the parked `slow` ones look takeable
      // the next `slow` token is due 1 s after the first take: the early look below comes well before
      // it even on a busy machine (with 150 ms, a look delayed by a loaded machine saw the token due)
      const limits = [
        { name: 'slow', max: 1, perMs: 1000 },
        { name: 'idle', max: 5, perMs: 1000 },
      ];
      const first = await store.fetch(3, 30_000, null, 0, limits);
      expect(first.deliveries).toHaveLength(1);
      expect(first.nextWakeMs).toBeGreaterThan(0);
      const early = await store.fetch(0, 30_000, null, 0, limits);
      expect(early).toMatchObject({ tiersLeft: 0, nextWakeMs: expect.any(Number) });
      expect(early.nextWakeMs).toBeGreaterThan(0);
      await sleep(first.nextWakeMs! + 20);
      // a token is there: a look (no take) must not say "nothing, nothing due" (a worker would sleep its idle wait)
      const look = await store.fetch(0, 30_000, null, 0, limits);
      expect(look.tiersLeft !== 0 || look.nextWakeMs === 0).toBe(true);
      const weighted = await store.fetch(3, 30_000, [8, 4, 2, 1], 0, limits);
      expect(weighted.deliveries).toHaveLength(1);
      expect(weighted.nextWakeMs).toBeGreaterThan(0);
    });

    exactTest('weighted mode keeps the limit too', async () => {
      const { queue, store } = make();
      await queue.publishBatch(
        Array.from({ length: 20 }, (_, i) => ({ type: i % 2 ? 'speech' : 'other', payload: i, priority: (i % 4 < 2 ? 'high' : 'low') as Priority })),
      );
      const got = await store.fetch(100, 30_000, [8, 4, 2, 1], 0, [{ name: 'speech', max: 3, perMs: 60_000 }]);
      expect(types(got.deliveries).filter((t) => t === 'speech')).toHaveLength(3);
      expect(types(got.deliveries).filter((t) => t === 'other')).toHaveLength(10);
    });

    test('a limited worker finishes a backlog without new publishes (its wait ends when the next token is due); options validated', async () => {
      const { queue } = make({ rateLimits: { slow: { max: 2, perMs: 200 } } });
      await queue.publishBatch(Array.from({ length: 6 }, (_, i) => ({ type: 'slow', payload: i, partitionKey: 'k' })));
      const seen: number[] = [];
      queue.process<number>('slow', (m) => void seen.push(m.payload), { concurrency: 4 });
      await waitFor(() => seen.length === 6, 'all six, two per 200 ms');
      expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
      expect(() => make({ rateLimit: { max: 0, perMs: 10 } })).toThrow(/rateLimit\.max/);
      expect(() => queue.process('x', () => undefined, { rateLimit: { max: 1, perMs: -1 } })).toThrow(/rateLimit\.perMs/);
    });
  });
}
