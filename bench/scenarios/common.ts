import type { BenchMsg, BenchSystem } from '../systems';
import { DeliveryTracker } from '../lib/tracker';
import { now, waitUntil } from '../lib/time';
import type { ScenarioContext } from './scenario';

/** Publishes messages 0..count-1 (as `make` builds them) in batches, `inFlight` batches on their way at once; returns the elapsed ms. */
export async function publishAll(
  system: BenchSystem,
  count: number,
  batchSize: number,
  make: (i: number) => BenchMsg = (i) => ({ i }),
  inFlight = 1,
): Promise<number> {
  const start = now();
  let next = 0;
  // each lane sends its next batch when its last one is acknowledged: `inFlight` batches on their way at once
  const lane = async (): Promise<void> => {
    while (next < count) {
      const from = next;
      next = Math.min(count, from + batchSize);
      const batch: BenchMsg[] = [];
      for (let i = from; i < next; i++) batch.push(make(i));
      await system.publishBatch(batch);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return now() - start;
}

/** Waits until `expected` handler starts were seen and the backend has nothing left in flight. */
export async function waitProcessed(ctx: ScenarioContext, system: BenchSystem, tracker: DeliveryTracker, expected: number): Promise<void> {
  await waitUntil(() => tracker.delivered >= expected, ctx.sizes.timeoutMs, `${expected} handler starts (saw ${tracker.delivered})`, 1);
  await waitUntil(() => system.isDrained(), ctx.sizes.timeoutMs, 'the backend to report nothing waiting or in flight', 5);
}

/** Consumes every queued message (untimed) and checks each of 0..count-1 came exactly once. */
export async function drainAndVerify(ctx: ScenarioContext, system: BenchSystem, count: number, label: string): Promise<void> {
  const tracker = new DeliveryTracker(count);
  await system.consume(100, (m) => tracker.record(m.i));
  await waitProcessed(ctx, system, tracker, count);
  tracker.verify(count, label);
}
