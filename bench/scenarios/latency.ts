import { monitorEventLoopDelay } from 'perf_hooks';
import type { BenchMsg } from '../systems';
import { DeliveryTracker } from '../lib/tracker';
import { now, percentile, sleep, withTimeout } from '../lib/time';
import { waitProcessed } from './common';
import { runSteady } from './steady';
import { MetricDef, Scenario, withSystem } from './scenario';

const IDLE_WARMUP = 20;
const IDLE_CONCURRENCY = 10;

function latencyMetrics(label: string): MetricDef[] {
  return (['p50', 'p95', 'p99'] as const).map((p) => ({ key: p, label: `${label} ${p}`, unit: 'ms', better: 'lower' }));
}

/** Event-loop delay of this process while `fn` runs: p50/p99/max in ms. */
async function withLoopDelay<T>(fn: () => Promise<T>): Promise<{ result: T; loopDelayMs: Record<string, number> }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  try {
    const result = await fn();
    return { result, loopDelayMs: { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 } };
  } finally {
    h.disable();
  }
}

function summarise(samples: number[]): Record<string, number> {
  const sorted = Float64Array.from(samples).sort();
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}

/**
 * Idle queue: one message at a time. The message carries its send time (performance.now(), same
 * process); the handler records the gap at its start. The next message goes 2 ms after the handler
 * started, so the worker is back to its idle wait.
 */
export const latencyIdle: Scenario = {
  id: 'latency-idle',
  title: 'Publish-to-handler-start latency, idle queue',
  metrics: latencyMetrics('latency idle'),
  run: (ctx, kind) => withSystem(ctx, kind, async (system) => {
    const total = IDLE_WARMUP + ctx.sizes.idleLatencySamples;
    const tracker = new DeliveryTracker(total);
    const samples: number[] = [];
    let arrived: (() => void) | undefined;
    await system.consume(IDLE_CONCURRENCY, (m) => {
      const gap = now() - (m.t as number);
      if (m.i >= IDLE_WARMUP) samples.push(gap);
      tracker.record(m.i);
      arrived?.();
    });
    await sleep(200);
    // Floor of this machine: one PING round trip, same spacing.
    const pings: number[] = [];
    for (let i = 0; i < Math.min(500, total); i++) {
      const t = now();
      await ctx.admin.ping();
      pings.push(now() - t);
      await sleep(2);
    }
    const { loopDelayMs } = await withLoopDelay(async () => {
      for (let i = 0; i < total; i++) {
        const started = new Promise<void>((resolve) => (arrived = resolve));
        await system.publish({ i, t: now() });
        await withTimeout(started, ctx.sizes.timeoutMs, `message ${i} to reach its handler`);
        await sleep(2);
      }
    });
    await waitProcessed(ctx, system, tracker, total);
    tracker.verify(total, `${kind} latency-idle`);
    return { metrics: summarise(samples), detail: { samples: samples.length, concurrency: IDLE_CONCURRENCY, pingRttMs: summarise(pings), loopDelayMs } };
  }),
};

/**
 * Under load: messages published at half the system's own steady capacity (measured by the steady
 * scenario in this run, or by a short steady run first), in a batch each millisecond, each
 * stamped with its send time. Latency is recorded after the warm-up.
 */
export const latencyLoad: Scenario = {
  id: 'latency-load',
  title: 'Publish-to-handler-start latency at half capacity',
  metrics: latencyMetrics('latency at half capacity'),
  run: async (ctx, kind) => {
    let capacity = ctx.capacity[kind];
    if (capacity === undefined) {
      capacity = await withSystem(ctx, kind, async (s) => (await runSteady(ctx, s, `${kind} capacity probe`, Math.max(1, ctx.sizes.steadySeconds / 4), false)).rate);
      ctx.capacity[kind] = capacity;
      await ctx.admin.flushall('SYNC');
    }
    const rate = capacity / 2;
    return withSystem(ctx, kind, async (system) => {
      const tracker = new DeliveryTracker(1 << 16);
      const samples: number[] = [];
      const warmupEnd = now() + ctx.sizes.warmupSeconds * 1000;
      await system.consume(ctx.sizes.steadyConcurrency, (m) => {
        const t = m.t as number;
        if (t >= warmupEnd) samples.push(now() - t);
        tracker.record(m.i);
      });
      const start = now();
      const end = warmupEnd + ctx.sizes.loadLatencySeconds * 1000;
      let published = 0;
      const inFlight = new Set<Promise<void>>();
      let failure: unknown;
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      while (now() < end && !failure) {
        const due = Math.floor((rate * (now() - start)) / 1000);
        if (due > published) {
          const t = now();
          const batch: BenchMsg[] = [];
          while (published < due) batch.push({ i: published++, t });
          const p = system.publishBatch(batch).catch((error) => void (failure = error));
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
        }
        await sleep(1);
      }
      loop.disable();
      const loopDelayMs = { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
      await Promise.all(inFlight);
      if (failure) throw failure;
      await waitProcessed(ctx, system, tracker, published);
      tracker.verify(published, `${kind} latency-load`);
      const achieved = (published / (end - start)) * 1000;
      return { metrics: summarise(samples), detail: { targetRate: rate, achievedRate: achieved, samples: samples.length, concurrency: ctx.sizes.steadyConcurrency, loopDelayMs } };
    });
  },
};
