import type { BenchMsg } from '../systems';
import { GcPauses, startGcMeter } from '../lib/gc-meter';
import { DeliveryTracker } from '../lib/tracker';
import { now, percentile, sleep, waitUntil } from '../lib/time';
import { MetricDef, Scenario, withSystem } from './scenario';

const CONCURRENCIES = [1, 10, 100] as const;
/** One critical message every this many ms while the low backlog is worked through. */
const CRITICAL_EVERY_MS = 10;

function metricDefs(): MetricDef[] {
  return CONCURRENCIES.flatMap((c) =>
    (['p50', 'p99'] as const).map(
      (p): MetricDef => ({
        key: `c${c}_${p}`,
        label: `critical behind low backlog, concurrency ${c}, ${p}`,
        unit: 'ms',
        better: 'lower',
      }),
    ),
  );
}

interface PreemptionRun {
  p50: number;
  p99: number;
  max: number;
  criticals: number;
  /** Low messages that started between a critical's publish and its start: p99 and max over the criticals. */
  lowsOvertakingP99: number;
  lowsOvertakingMax: number;
  /** The same counted from the publish's reply (lows taken by a fetch Redis ran before the publish are left out). */
  lowsAfterReplyP99: number;
  lowsAfterReplyMax: number;
  lowsProcessed: number;
  topUps: number;
  /** Garbage-collection pauses of the process while the criticals were published. */
  gcPauses: GcPauses;
}

/**
 * A backlog of `preemptionBacklog` low messages (tier 3; BullMQ priority 4) is being processed at
 * concurrency 1, 10 and 100 (no-op handler) while one critical message (tier 0; BullMQ priority 1)
 * is published every 10 ms for `preemptionSeconds`. The backlog is topped up (one batch in flight)
 * whenever fewer than half of it is left, so the criticals always find a backlog in front of them.
 * Reported: publish-to-start of the criticals, and how many lows started between a critical's
 * publish and its start, from the publish call and from its reply (the bound: at most the
 * concurrency; the lows counted from the call include those a fetch already in flight had leased
 * before the critical reached Redis). Lows carry no send time,
 * criticals do: that tells them apart in the handler. Every message is checked exactly once.
 */
export const priorityPreemption: Scenario = {
  id: 'priority-preemption',
  title: 'Critical message behind a low-priority backlog (publish-to-start of the criticals)',
  metrics: metricDefs(),
  run: async (ctx, kind) => {
    const metrics: Record<string, number> = {};
    const detail: Record<string, PreemptionRun> = {};
    for (const concurrency of CONCURRENCIES) {
      if (concurrency !== CONCURRENCIES[0]) await ctx.admin.flushall('SYNC');
      const run = await withSystem(ctx, kind, async (system) => {
        const backlog = ctx.sizes.preemptionBacklog;
        const lows = new DeliveryTracker(backlog * 2);
        const criticals = new DeliveryTracker(1024);
        const samples: number[] = [];
        const overtaking: number[] = [];
        const afterReply: number[] = [];
        /** Lows started so far, and for each critical the count when it was published. */
        let lowsStarted = 0;
        const lowsAtPublish: number[] = [];
        const lowsAtReply: number[] = [];
        let lowsPublished = 0;
        const publishLows = async (count: number): Promise<void> => {
          for (let from = 0; from < count; from += ctx.sizes.batchSize) {
            const batch: BenchMsg[] = [];
            for (let k = 0; k < Math.min(ctx.sizes.batchSize, count - from); k++) batch.push({ i: lowsPublished++, p: 3 });
            await system.publishBatch(batch);
          }
        };
        await publishLows(backlog);
        await system.consume(concurrency, (m) => {
          if (m.t === undefined) {
            lowsStarted++;
            lows.record(m.i);
            return;
          }
          samples.push(now() - m.t);
          overtaking.push(lowsStarted - lowsAtPublish[m.i]);
          // a critical may start before its publish's reply is handled: then no low came after the reply
          afterReply.push(lowsAtReply[m.i] === undefined ? 0 : lowsStarted - lowsAtReply[m.i]);
          criticals.record(m.i);
        });
        // Let the backlog start moving, so criticals meet a busy worker.
        await waitUntil(() => lowsStarted > Math.min(backlog / 100, 100), ctx.sizes.timeoutMs, 'the low backlog to start');
        let topUp: Promise<void> | undefined;
        let topUps = 0;
        let failure: unknown;
        const gc = startGcMeter();
        const end = now() + ctx.sizes.preemptionSeconds * 1000;
        let sent = 0;
        while (now() < end && !failure) {
          const i = sent++;
          lowsAtPublish[i] = lowsStarted;
          await system.publish({ i, t: now(), p: 0 });
          lowsAtReply[i] = lowsStarted;
          if (!topUp && lowsPublished - lowsStarted < backlog / 2) {
            topUps++;
            topUp = publishLows(ctx.sizes.batchSize * 10)
              .catch((error) => void (failure = error))
              .finally(() => (topUp = undefined));
          }
          await sleep(CRITICAL_EVERY_MS);
        }
        const gcPauses = gc();
        await topUp;
        if (failure) throw failure;
        await waitUntil(
          () => criticals.delivered >= sent && lows.delivered >= lowsPublished,
          ctx.sizes.timeoutMs,
          `${sent} criticals and ${lowsPublished} lows to start (saw ${criticals.delivered} and ${lows.delivered})`,
          5,
        );
        await waitUntil(() => system.isDrained(), ctx.sizes.timeoutMs, 'the backend to report nothing waiting or in flight', 5);
        criticals.verify(sent, `${kind} priority-preemption c${concurrency} criticals`);
        lows.verify(lowsPublished, `${kind} priority-preemption c${concurrency} lows`);
        const sorted = Float64Array.from(samples).sort();
        const over = Float64Array.from(overtaking).sort();
        const overAfterReply = Float64Array.from(afterReply).sort();
        return {
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
          max: sorted[sorted.length - 1],
          criticals: sent,
          lowsOvertakingP99: percentile(over, 99),
          lowsOvertakingMax: over[over.length - 1],
          lowsAfterReplyP99: percentile(overAfterReply, 99),
          lowsAfterReplyMax: overAfterReply[overAfterReply.length - 1],
          lowsProcessed: lowsPublished,
          topUps,
          gcPauses,
        };
      });
      metrics[`c${concurrency}_p50`] = run.p50;
      metrics[`c${concurrency}_p99`] = run.p99;
      detail[`c${concurrency}`] = run;
      ctx.log(
        `  ${kind} c${concurrency}: criticals p50 ${run.p50.toFixed(2)} ms, p99 ${run.p99.toFixed(2)} ms, max ${run.max.toFixed(2)} ms; ` +
          `lows overtaking p99 ${run.lowsOvertakingP99}, max ${run.lowsOvertakingMax}; after the publish's reply p99 ${run.lowsAfterReplyP99}, ` +
          `max ${run.lowsAfterReplyMax} (${run.criticals} criticals, ${run.lowsProcessed} lows); ` +
          `GC pauses ${run.gcPauses.count}, ${run.gcPauses.totalMs.toFixed(0)} ms in all, longest ${run.gcPauses.maxMs.toFixed(1)} ms`,
      );
    }
    return { metrics, detail };
  },
};
