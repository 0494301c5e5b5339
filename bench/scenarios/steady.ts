import type { BenchMsg, BenchSystem } from '../systems';
import { CpuCost, perMessage, startCpuMeter } from '../lib/cpu-meter';
import { DeliveryTracker } from '../lib/tracker';
import { now, sleep, waitUntil } from '../lib/time';
import { waitProcessed } from './common';
import { Scenario, ScenarioContext, withSystem } from './scenario';

const PRODUCER_BATCH = 100;
const PRODUCERS = 2;
/**
 * Fewest handler starts a measurement window holds: on a starved machine the window stays open past
 * `seconds` until the consumer handled this many, so the rate is a measurement and never 0 (which
 * left latency-load with no capacity to aim at).
 */
export const MIN_WINDOW_MESSAGES = 100;

export interface SteadyResult {
  rate: number;
  published: number;
  windowMs: number;
  /** CPU per handled message over the window (producers included). */
  cpu: ReturnType<typeof perMessage>;
}

/**
 * Producers (batches of 100, two in flight) and one consumer run at the same time. Throughput is
 * the handler starts per second over `seconds` (longer until {@link MIN_WINDOW_MESSAGES} were
 * handled), after a warm-up that also waits for the first handled message. Then the producers
 * stop, the rest drains and every message is checked.
 */
export async function runSteady(ctx: ScenarioContext, system: BenchSystem, label: string, seconds: number, mixed: boolean): Promise<SteadyResult> {
  const tracker = new DeliveryTracker(1 << 16);
  let published = 0;
  let stop = false;
  await system.consume(ctx.sizes.steadyConcurrency, (m) => tracker.record(m.i));
  const producer = async (): Promise<void> => {
    while (!stop) {
      if (published - tracker.delivered > ctx.sizes.steadyBacklog) {
        await sleep(1);
        continue;
      }
      const batch: BenchMsg[] = [];
      for (let k = 0; k < PRODUCER_BATCH; k++) {
        const i = published++;
        batch.push(mixed ? { i, p: (i % 4) as 0 | 1 | 2 | 3 } : { i });
      }
      await system.publishBatch(batch);
    }
  };
  const producers = Array.from({ length: PRODUCERS }, () => producer());
  await sleep(ctx.sizes.warmupSeconds * 1000);
  // The warm-up lasts until the consumer has started handling (a BullMQ worker can take seconds to
  // start on a busy machine), so the window measures handling, not start-up.
  await waitUntil(() => tracker.delivered > 0, ctx.sizes.timeoutMs, `${label}: the consumer's first handled message`, 5);
  const from = tracker.delivered;
  const stopCpu = await startCpuMeter(ctx.admin);
  const start = now();
  await sleep(seconds * 1000);
  await waitUntil(
    () => tracker.delivered - from >= MIN_WINDOW_MESSAGES,
    ctx.sizes.timeoutMs,
    `${label}: ${MIN_WINDOW_MESSAGES} handled messages in the measurement window (saw ${tracker.delivered - from})`,
    5,
  );
  const handled = tracker.delivered - from;
  const windowMs = now() - start;
  const cost: CpuCost = await stopCpu();
  stop = true;
  await Promise.all(producers);
  await waitProcessed(ctx, system, tracker, published);
  tracker.verify(published, label);
  return { rate: (handled / windowMs) * 1000, published, windowMs, cpu: perMessage(cost, Math.max(1, handled)) };
}

function steadyScenario(mixed: boolean): Scenario {
  return {
    id: mixed ? 'steady-priorities' : 'steady',
    title: mixed ? 'Producer and consumer together, four priorities mixed' : 'Producer and consumer together (steady throughput)',
    metrics: [{ key: 'rate', label: mixed ? 'steady, 4 priorities mixed' : 'steady throughput', unit: 'msgs/s', better: 'higher' }],
    variants: mixed ? undefined : ['ours-r0'],
    run: (ctx, kind) =>
      withSystem(ctx, kind, async (system) => {
        const r = await runSteady(ctx, system, `${kind} ${mixed ? 'steady-priorities' : 'steady'}`, ctx.sizes.steadySeconds, mixed);
        if (!mixed && kind !== 'ours-r0') ctx.capacity[kind] = r.rate;
        return { metrics: { rate: r.rate }, detail: { ...r, concurrency: ctx.sizes.steadyConcurrency } };
      }),
  };
}

export const steady = steadyScenario(false);
export const steadyPriorities = steadyScenario(true);
