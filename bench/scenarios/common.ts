import type { BenchMsg, BenchSystem } from '../systems';
import { DeliveryTracker } from '../lib/tracker';
import { now, waitUntil } from '../lib/time';
import type { ScenarioContext } from './scenario';

/** Publishes messages first..first+count-1 in batches, one batch in flight; returns the elapsed ms. */
export async function publishAll(system: BenchSystem, count: number, batchSize: number, make: (i: number) => BenchMsg = (i) => ({ i })): Promise<number> {
  const start = now();
  for (let from = 0; from < count; from += batchSize) {
    const batch: BenchMsg[] = [];
    for (let i = from; i < Math.min(count, from + batchSize); i++) batch.push(make(i));
    await system.publishBatch(batch);
  }
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
