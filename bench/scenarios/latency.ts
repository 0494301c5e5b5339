import { monitorEventLoopDelay } from 'perf_hooks';
import type { BenchMsg } from '../systems';
import { cpuShare, describeCpuShare, startCpuMeter } from '../lib/cpu-meter';
import { describeGcKinds, startGcMeter } from '../lib/gc-meter';
import { describeSlowCommands, startSlowLog } from '../lib/redis-info';
import { DeliveryTracker } from '../lib/tracker';
import { now, percentile, sleep, withTimeout } from '../lib/time';
import { waitProcessed } from './common';
import { runSteady } from './steady';
import { MetricDef, Scenario, withSystem } from './scenario';

const IDLE_WARMUP = 20;
const IDLE_CONCURRENCY = 10;
/** Fewest post-warm-up messages of latency-load: publishing goes on past the window until this many were sent. */
export const MIN_LOAD_SAMPLES = 50;

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
  run: (ctx, kind) =>
    withSystem(ctx, kind, async (system) => {
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
 * stamped with its send time. Latency is recorded after the warm-up (timed from the consumer being
 * ready), over at least {@link MIN_LOAD_SAMPLES} messages.
 */
export const latencyLoad: Scenario = {
  id: 'latency-load',
  title: 'Publish-to-handler-start latency at half capacity',
  metrics: latencyMetrics('latency at half capacity'),
  run: async (ctx, kind) => {
    let capacity = ctx.capacity[kind];
    if (capacity === undefined) {
      capacity = await withSystem(
        ctx,
        kind,
        async (s) => (await runSteady(ctx, s, `${kind} capacity probe`, Math.max(1, ctx.sizes.steadySeconds / 4), false)).rate,
      );
      ctx.capacity[kind] = capacity;
      await ctx.admin.flushall('SYNC');
    }
    if (!(capacity > 0)) throw new Error(`${kind}: no steady throughput to aim at (measured ${capacity} msgs/s)`);
    const rate = capacity / 2;
    return withSystem(ctx, kind, async (system) => {
      const tracker = new DeliveryTracker(1 << 16);
      const samples: number[] = [];
      let warmupEnd = Infinity;
      await system.consume(ctx.sizes.steadyConcurrency, (m) => {
        const t = m.t as number;
        if (t >= warmupEnd) samples.push(now() - t);
        tracker.record(m.i);
      });
      // Timed from the consumer being ready (its start can take long on a busy machine).
      const start = now();
      warmupEnd = start + ctx.sizes.warmupSeconds * 1000;
      const end = warmupEnd + ctx.sizes.loadLatencySeconds * 1000;
      let published = 0;
      let measured = 0;
      const inFlight = new Set<Promise<void>>();
      let failure: unknown;
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      const gc = startGcMeter();
      const cpu = await startCpuMeter(ctx.admin);
      const slow = await startSlowLog(ctx.admin);
      // The window, and past it until MIN_LOAD_SAMPLES messages were sent after the warm-up (a
      // starved event loop may otherwise leave none: no percentile at all).
      while ((now() < end || measured < MIN_LOAD_SAMPLES) && !failure) {
        if (now() > end + ctx.sizes.timeoutMs)
          throw new Error(`${kind}: only ${measured} messages sent after the warm-up in ${ctx.sizes.timeoutMs} ms past the window`);
        const due = Math.floor((rate * (now() - start)) / 1000);
        if (due > published) {
          const t = now();
          const batch: BenchMsg[] = [];
          while (published < due) batch.push({ i: published++, t });
          if (t >= warmupEnd) measured += batch.length;
          const p = system.publishBatch(batch).catch((error) => void (failure = error));
          inFlight.add(p);
          void p.finally(() => inFlight.delete(p));
        }
        await sleep(1);
      }
      const stopped = now();
      loop.disable();
      const gcPauses = gc();
      const loopDelayMs = { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
      const windowMs = stopped - start;
      // Share of one core while publishing (what headroom is left to absorb a stall) and cost per message.
      const cpuUsed = cpuShare(await cpu(), Math.max(1, published), windowMs);
      const slowCommands = await slow();
      await Promise.all(inFlight);
      if (failure) throw failure;
      await waitProcessed(ctx, system, tracker, published);
      tracker.verify(published, `${kind} latency-load`);
      const achieved = (published / windowMs) * 1000;
      ctx.log(
        `  ${kind}: ${achieved.toFixed(0)} of ${rate.toFixed(0)} msgs/s; event-loop delay p99 ${loopDelayMs.p99.toFixed(1)} ms, max ${loopDelayMs.max.toFixed(1)} ms; ` +
          `GC pauses ${gcPauses.count}, ${gcPauses.totalMs.toFixed(0)} ms in all, longest ${gcPauses.maxMs.toFixed(1)} ms, ${gcPauses.over5ms} over 5 ms (${describeGcKinds(gcPauses)}); ` +
          `CPU ${describeCpuShare(cpuUsed)}; ${describeSlowCommands(slowCommands)}`,
      );
      return {
        metrics: summarise(samples),
        detail: {
          targetRate: rate,
          achievedRate: achieved,
          samples: samples.length,
          concurrency: ctx.sizes.steadyConcurrency,
          loopDelayMs,
          gcPauses,
          cpuShare: cpuUsed,
          slowCommands,
        },
      };
    });
  },
};
