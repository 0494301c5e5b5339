import { MemoryQueueStore } from '../memory/memory-queue-store';
import { preparePublish } from '../publish-validation';
import { resolveQueueOptions } from '../queue-options';
import type { WakeFetch } from '../queue-store';
import { PartitionedQueueStore } from './partitioned-queue-store';
import { waitFor } from '../../testing/wait';

const LIMITS = { deadLetterMaxSize: 100, deadLetterMaxAgeMs: 60_000, completedCount: 10, completedAgeMs: 60_000 };
const options = resolveQueueOptions({ name: 'w', partitions: 2 });
const fetch: WakeFetch = { precise: false, max: 4, leaseMs: 30_000, weights: null, random: 0, limits: [], onResult: () => undefined };

/** Settles to true once `promise` settles (the test waits for the flag, never for a fixed time). */
function track(promise: Promise<unknown>): { settled: boolean } {
  const state = { settled: false };
  void promise.finally(() => (state.settled = true));
  return state;
}

/** The wait ends within 2 s (it would run 30 s if the wake-up were lost). */
const until = (state: { settled: boolean }, what: string) => waitFor(() => state.settled, what, 2000);

/** A store over two memory partitions, and a message for a given partition (random keys until one lands there). */
function twoPartitions() {
  const parts = [new MemoryQueueStore(LIMITS, true), new MemoryQueueStore(LIMITS, true)];
  const store = new PartitionedQueueStore(parts);
  const toPartition = (p: number) => {
    for (;;) {
      const m = preparePublish({ type: 't', partitionKey: `k${Math.random()}` }, options);
      if (store.partitionOf(m.id) === p) return m;
    }
  };
  return { parts, store, toPartition };
}

describe('partitioned store: idle wait', () => {
  it('a wake-up of one partition ends the wait; one that comes between two waits ends the next (none is lost)', async () => {
    const { store, toPartition } = twoPartitions();
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
    const { parts, store, toPartition } = twoPartitions();
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
    const { parts, store, toPartition } = twoPartitions();
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
