import { join } from 'path';
import { openSystem, SystemKind } from '../systems';
import { BenchChild } from '../lib/child';
import { describeGcKinds, GcPauses, startGcMeter } from '../lib/gc-meter';
import { monotonicMs, now, percentile, sleep, waitUntil } from '../lib/time';
import type { PreemptionChildIn, PreemptionChildOut } from './preemption-child';
import { MetricDef, Scenario, ScenarioContext } from './scenario';

export const CONCURRENCIES = [1, 10, 100] as const;
/**
 * How long each handler lasts while measured: 0 (no-op, the issue's scenario) and two timed ones,
 * since the target is "2 ms plus one handler duration" and a no-op consumer keeps both cores of
 * a small machine busy (docs/benchmarks.md: the round trips' own floor then).
 */
export const HANDLER_MS = [0, 1, 5] as const;
/** One critical message every this many ms while the low backlog is worked through. */
const CRITICAL_EVERY_MS = 10;
/** Lows per top-up publish: small, so a critical published behind one waits a fraction of a ms in Redis. */
const TOP_UP_BATCH = 100;
/** Top-up publishes unanswered at a time (enough to keep up with the fastest consumer). */
const TOP_UPS_IN_FLIGHT = 4;
const CHILD_SCRIPT = join(__dirname, 'preemption-child.ts');
/** Longest wait for the consumer's result (it reports itself stuck after timeoutMs without a start). */
const RESULT_TIMEOUT_MS = 30 * 60_000;

/** A figure reported per run. */
type PreemptionFigure = 'p50' | 'p99' | 'reply_p99' | 'handler';

/** Name of a run: `c1` for no-op handlers (as before), `c1_h5` for 5 ms ones (the raw JSON's detail key). */
function runName(concurrency: number, handlerMs: number): string {
  return handlerMs === 0 ? `c${concurrency}` : `c${concurrency}_h${handlerMs}`;
}

/** Metric key of a run's figure: `c1_p99`, `c1_h5_p99`. */
export function preemptionKey(concurrency: number, handlerMs: number, what: PreemptionFigure): string {
  return `${runName(concurrency, handlerMs)}_${what}`;
}

function metricDefs(): MetricDef[] {
  return HANDLER_MS.flatMap((h) =>
    CONCURRENCIES.flatMap((c): MetricDef[] => {
      const run = `concurrency ${c}, ${h === 0 ? 'no-op handler' : `${h} ms handler`}`;
      const ms = (what: PreemptionFigure, label: string): MetricDef => ({
        key: preemptionKey(c, h, what),
        label: `${label}, ${run}`,
        unit: 'ms',
        better: 'lower',
      });
      return [
        ms('p50', 'critical behind low backlog, p50'),
        ms('p99', 'critical behind low backlog, p99'),
        ms('reply_p99', "critical's publish call to reply (this machine's round trip then), p99"),
        ...(h === 0 ? [] : [ms('handler', 'measured handler duration, mean')]),
      ];
    }),
  );
}

interface PreemptionRun {
  p50: number;
  p99: number;
  max: number;
  /** The criticals' publish, call to reply: what one round trip took on this machine during the run. */
  replyP50: number;
  replyP99: number;
  /** Mean duration of the measured handlers, start to end (0 for no-op handlers). */
  handlerMeanMs: number;
  criticals: number;
  /** Low messages that started between a critical's publish and its start: p99 and max over the criticals. */
  lowsOvertakingP99: number;
  lowsOvertakingMax: number;
  /** The same counted from the publish's reply (lows taken by a fetch Redis ran before the publish are left out). */
  lowsAfterReplyP99: number;
  lowsAfterReplyMax: number;
  lowsProcessed: number;
  topUps: number;
  /** Garbage-collection pauses of the consumer's process, and of the criticals' publisher, while the criticals were published. */
  gcPauses: GcPauses;
  publisherGcPauses: GcPauses;
}

/**
 * A backlog of `preemptionBacklog` low messages (tier 3; BullMQ priority 4) is being processed at
 * concurrency 1, 10 and 100 (no-op handler) while one critical message (tier 0; BullMQ priority 1)
 * is published every 10 ms for `preemptionSeconds`. As in a deployment, the consumer, the
 * producer of the lows and the publisher of the criticals are three processes (the consumer and
 * the low producer are children of the harness, bench/scenarios/preemption-child.ts, one pair per
 * system serving its nine runs in turn): the
 * criticals' publish-to-start is not the pause of a garbage collector the publisher shares with
 * the consumer. The producer keeps the backlog near `preemptionBacklog` with top-ups of 100 lows
 * (a few in flight), so the criticals always find a backlog in front of them and never wait in
 * Redis behind a large batch. Times come from the machine's monotonic clock, the same in every
 * process. Reported: publish-to-start of the criticals, and how many lows started between a
 * critical's publish and its start, from the publish call and from its reply (the issue's bound:
 * at most the concurrency; the lows counted from the call include those a fetch already in flight
 * had leased before the critical reached Redis). Lows carry no send time, criticals do: that tells
 * them apart in the handler. Every message is checked exactly once.
 */
export const priorityPreemption: Scenario = {
  id: 'priority-preemption',
  title: 'Critical message behind a low-priority backlog (publish-to-start of the criticals)',
  metrics: metricDefs(),
  run: async (ctx, kind) => {
    const metrics: Record<string, number> = {};
    const detail: Record<string, PreemptionRun> = {};
    // one consumer and one producer process serve the nine runs in turn (preemption-child.ts)
    const children: Children = {
      consumer: new BenchChild(CHILD_SCRIPT, `${kind} consumer`),
      producer: new BenchChild(CHILD_SCRIPT, `${kind} low producer`),
    };
    try {
      let first = true;
      for (const handlerMs of HANDLER_MS) {
        for (const concurrency of CONCURRENCIES) {
          if (!first) await ctx.admin.flushall('SYNC');
          first = false;
          const run = await runAt(ctx, kind, children, concurrency, handlerMs);
          const key = (what: PreemptionFigure) => preemptionKey(concurrency, handlerMs, what);
          metrics[key('p50')] = run.p50;
          metrics[key('p99')] = run.p99;
          metrics[key('reply_p99')] = run.replyP99;
          if (handlerMs > 0) metrics[key('handler')] = run.handlerMeanMs;
          detail[runName(concurrency, handlerMs)] = run;
          logRun(ctx, kind, concurrency, handlerMs, run);
        }
      }
    } finally {
      await Promise.all([children.consumer.stop(), children.producer.stop()]);
    }
    return { metrics, detail };
  },
};

function logRun(ctx: ScenarioContext, kind: SystemKind, concurrency: number, handlerMs: number, run: PreemptionRun): void {
  const gc = (g: GcPauses) => `${g.count}, ${g.totalMs.toFixed(0)} ms in all, longest ${g.maxMs.toFixed(1)} ms: ${describeGcKinds(g)}`;
  const handler = handlerMs === 0 ? 'no-op handlers' : `${handlerMs} ms handlers (measured mean ${run.handlerMeanMs.toFixed(2)} ms)`;
  ctx.log(
    `  ${kind} c${concurrency}, ${handler}: criticals p50 ${run.p50.toFixed(2)} ms, p99 ${run.p99.toFixed(2)} ms, max ${run.max.toFixed(2)} ms ` +
      `(their publish's reply p50 ${run.replyP50.toFixed(2)} ms, p99 ${run.replyP99.toFixed(2)} ms); ` +
      `lows overtaking p99 ${run.lowsOvertakingP99}, max ${run.lowsOvertakingMax}; after the publish's reply p99 ${run.lowsAfterReplyP99}, ` +
      `max ${run.lowsAfterReplyMax} (${run.criticals} criticals, ${run.lowsProcessed} lows, ${run.topUps} top-ups); ` +
      `GC pauses of the consumer ${gc(run.gcPauses)}; of the publisher ${gc(run.publisherGcPauses)}`,
  );
}

type Child = BenchChild<PreemptionChildIn, PreemptionChildOut>;
interface Children {
  consumer: Child;
  producer: Child;
}

async function runAt(ctx: ScenarioContext, kind: SystemKind, children: Children, concurrency: number, handlerMs: number): Promise<PreemptionRun> {
  const options = ctx.freshSystemOptions();
  const system = openSystem(kind, options);
  const { consumer, producer } = children;
  try {
    await system.ready();
    const backlog = ctx.sizes.preemptionBacklog;
    for (let from = 0; from < backlog; from += ctx.sizes.batchSize) {
      const size = Math.min(ctx.sizes.batchSize, backlog - from);
      await system.publishBatch(Array.from({ length: size }, (_, k) => ({ i: from + k, p: 3 as const })));
    }
    const failed = () => {
      const error = consumer.error ?? producer.error;
      if (error) throw error;
    };
    consumer.send({ type: 'consume', kind, options, concurrency, handlerMs, timeoutMs: ctx.sizes.timeoutMs });
    producer.send({ type: 'produce', kind, options, backlog, first: backlog, batch: TOP_UP_BATCH, inFlight: TOP_UPS_IN_FLIGHT });
    await Promise.all([consumer.next('ready', ctx.sizes.timeoutMs), producer.next('ready', ctx.sizes.timeoutMs)]);
    let lowsStarted = 0;
    consumer.on('progress', (m) => {
      lowsStarted = m.lows;
      if (!producer.error) producer.send({ type: 'started', lows: m.lows });
    });
    // Let the backlog start moving, so criticals meet a busy worker.
    await waitUntil(() => (failed(), lowsStarted > Math.min(backlog / 100, 100)), ctx.sizes.timeoutMs, 'the low backlog to start');
    // Then the warm-up the steady runs have: the run's system is fresh (and the first run's process
    // too), and its first second of traffic is JIT and heap growth (long scavenges: docs/benchmarks.md, "eighth session"),
    // which a worker that has been running when a critical comes has long behind it.
    const warm = now() + ctx.sizes.warmupSeconds * 1000;
    await waitUntil(() => (failed(), now() >= warm), ctx.sizes.warmupSeconds * 1000 + ctx.sizes.timeoutMs, 'the warm-up', 10);
    consumer.send({ type: 'measure' });
    const gc = startGcMeter();
    const sentAt: number[] = [];
    const replyAt: number[] = [];
    const end = now() + ctx.sizes.preemptionSeconds * 1000;
    let sent = 0;
    while (now() < end) {
      failed();
      const i = sent++;
      const t = monotonicMs();
      sentAt[i] = t;
      await system.publish({ i, t, p: 0 });
      replyAt[i] = monotonicMs();
      await sleep(CRITICAL_EVERY_MS);
    }
    const publisherGcPauses = gc();
    producer.send({ type: 'stop' });
    const stopped = await producer.next('stopped', ctx.sizes.timeoutMs);
    consumer.send({ type: 'finish', criticals: sent, lows: backlog + stopped.published });
    // the consumer fails by itself when it stops making progress; this bound only catches a hung child
    const result = await consumer.next('result', RESULT_TIMEOUT_MS);
    const { criticalStarts, lowStarts } = result;
    const samples = sentAt.map((t, i) => criticalStarts[i] - t);
    const overtaking = sentAt.map((t, i) => countBetween(lowStarts, t, criticalStarts[i]));
    // a critical may start before its publish's reply arrives: then no low came after the reply
    const afterReply = replyAt.map((t, i) => countBetween(lowStarts, t, criticalStarts[i]));
    const sorted = Float64Array.from(samples).sort();
    const replies = Float64Array.from(replyAt.map((t, i) => t - sentAt[i])).sort();
    const durations = result.handlerDurations;
    const over = Float64Array.from(overtaking).sort();
    const overAfterReply = Float64Array.from(afterReply).sort();
    return {
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1],
      replyP50: percentile(replies, 50),
      replyP99: percentile(replies, 99),
      handlerMeanMs: durations.length ? durations.reduce((a, b) => a + b, 0) / durations.length : 0,
      criticals: sent,
      lowsOvertakingP99: percentile(over, 99),
      lowsOvertakingMax: over[over.length - 1],
      lowsAfterReplyP99: percentile(overAfterReply, 99),
      lowsAfterReplyMax: overAfterReply[overAfterReply.length - 1],
      lowsProcessed: backlog + stopped.published,
      topUps: stopped.topUps,
      gcPauses: result.gcPauses,
      publisherGcPauses,
    };
  } finally {
    await system.close().catch((error) => ctx.log(`  close of ${kind} failed: ${(error as Error).message}`));
  }
}

/** How many of the ascending `times` lie strictly between `from` and `to` (0 when `to` is not after `from`). */
function countBetween(times: number[], from: number, to: number): number {
  if (!(to > from)) return 0;
  return lowerBound(times, to) - upperBound(times, from);
}

/** First index whose value is >= x. */
function lowerBound(times: number[], x: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose value is > x. */
function upperBound(times: number[], x: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
