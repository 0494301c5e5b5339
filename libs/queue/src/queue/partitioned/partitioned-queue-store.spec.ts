import { MemoryQueueStore } from '../memory/memory-queue-store';
import { preparePublish } from '../publish-validation';
import { resolveQueueOptions } from '../queue-options';
import type { WakeFetch } from '../queue-store';
import type { Priority } from '../queue.types';
import { PartitionedQueueStore } from './partitioned-queue-store';
import { waitFor } from '../../testing/wait';

const LIMITS = { deadLetterMaxSize: 100, deadLetterMaxAgeMs: 60_000, completedCount: 10, completedAgeMs: 60_000 };
const fetch: WakeFetch = { precise: false, max: 4, leaseMs: 30_000, weights: null, random: 0, limits: [], onResult: () => undefined };

/** Settles to true once `promise` settles (the test waits for the flag, never for a fixed time). */
function track(promise: Promise<unknown>): { settled: boolean } {
  const state = { settled: false };
  void promise.finally(() => (state.settled = true));
  return state;
}

/** The wait ends within 2 s (it would run 30 s if the wake-up were lost). */
const until = (state: { settled: boolean }, what: string) => waitFor(() => state.settled, what, 2000);

/** A store over n memory partitions, and a message for a given partition (random keys until one lands there). */
function partitioned(n: number) {
  const options = resolveQueueOptions({ name: 'w', partitions: n });
  const parts = Array.from({ length: n }, () => new MemoryQueueStore(LIMITS, true));
  const store = new PartitionedQueueStore(parts);
  const toPartition = (p: number, priority?: Priority) => {
    for (;;) {
      const m = preparePublish({ type: 't', partitionKey: `k${Math.random()}`, priority }, options);
      if (store.partitionOf(m.id) === p) return m;
    }
  };
  return { parts, store, toPartition };
}

describe('partitioned store: fetch', () => {
  it('a partition that gives less than it was asked for is passed over: the next round asks the partitions below it', async () => {
    const { parts, store, toPartition } = partitioned(3);
    const [normalA, normalB] = [toPartition(2, 'normal'), toPartition(2, 'normal')];
    await store.publish([normalA, normalB]);
    await store.fetch(0, 30_000, null, 0); // the store's view: two normal messages in partition 2, nothing elsewhere
    const low = toPartition(0, 'low');
    const high = toPartition(1, 'high');
    await store.publish([low, high]);
    await parts[2].fetch(1, 30_000, null, 0); // another worker takes normalA
    // Round one asks partition 2 for both and the others for nothing. Partition 1 shows its high
    // message, and another worker takes it right after that look:
    const look1 = parts[1].fetch.bind(parts[1]);
    jest.spyOn(parts[1], 'fetch').mockImplementationOnce(async (...args) => {
      const reply = await look1(...args);
      await look1(1, 30_000, null, 0);
      return reply;
    });
    // round two asks partition 1 (the highest tier it saw) and gets nothing: round three asks partition 0
    const got = await store.fetch(2, 30_000, null, 0);
    expect(got.deliveries.map((d) => d.id)).toEqual([normalB.id, low.id]);
    await store.close();
  });
});

describe('partitioned store: idle wait', () => {
  it('a wake-up of one partition ends the wait; one that comes between two waits ends the next (none is lost)', async () => {
    const { store, toPartition } = partitioned(2);
    const first = track(store.waitForWork(30_000, fetch));
    await store.publish([toPartition(0)]);
    await until(first, 'the first wait');
    // between two waits: partition 1's waiter of the first wait is still registered and takes the token
    await store.publish([toPartition(1)]);
    const second = track(store.waitForWork(30_000, fetch));
    await until(second, 'the second wait');
    const got = await store.fetch(10, 30_000, null, 0);
    expect(got.deliveries).toHaveLength(2);
    await store.close();
  });

  it('a partition wait left from an earlier, shorter wait ending at its own time does not end the next wait', async () => {
    const { parts, store, toPartition } = partitioned(2);
    await store.publish([toPartition(0)]);
    const waits1 = jest.spyOn(parts[1], 'waitForWork');
    // partition 0's token ends this wait at once; partition 1's wait of 10 ms stays pending and is reused
    await store.waitForWork(10, { ...fetch, max: 0 });
    const left = waits1.mock.results[0].value as Promise<unknown>;
    const second = track(store.waitForWork(30_000, fetch));
    await left;
    await new Promise((resolve) => setImmediate(resolve));
    expect(second.settled).toBe(false);
    expect(waits1).toHaveBeenCalledTimes(2);
    await store.publish([toPartition(1)]);
    await until(second, 'the second wait, woken by the publish');
    await store.close();
  });

  it('a leftover wait whose partition has a lease due before the next wait ends waits until then (not an early end)', async () => {
    const { parts, store, toPartition } = partitioned(2);
    await store.publish([toPartition(0)]);
    const held = await store.fetch(10, 20_000, null, 0);
    expect(held.deliveries).toHaveLength(1);
    await parts[0].waitForWork(1); // uses up the wake-up the publish left on partition 0
    await store.publish([toPartition(1)]);
    const waits0 = jest.spyOn(parts[0], 'waitForWork');
    // partition 1's token ends this wait at once; partition 0's wait of 10 ms stays pending and is reused
    await store.waitForWork(10, { ...fetch, max: 0 });
    const left = waits0.mock.results[0].value as Promise<unknown>;
    const second = track(store.waitForWork(30_000, fetch));
    await left;
    // the look at partition 0 finds the lease due in under 20 s, before this wait's end: partition 0
    // is waited on until then, and the wait goes on
    await waitFor(() => waits0.mock.calls.length === 2, 'partition 0 waited on again');
    const [again] = waits0.mock.calls[1];
    expect(again).toBeGreaterThan(10_000);
    expect(again).toBeLessThanOrEqual(20_000);
    expect(second.settled).toBe(false);
    await store.publish([toPartition(0)]);
    await until(second, 'the second wait, woken by the publish');
    await store.close();
  });
});
