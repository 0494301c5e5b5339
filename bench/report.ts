import type { BenchReport, ScenarioReport, SystemRun } from './harness';
import { formatValue } from './harness';
import type { MetricDef } from './scenarios';
import { CONCURRENCIES as PREEMPTION_CONCURRENCIES, HANDLER_MS as PREEMPTION_HANDLER_MS, preemptionKey } from './scenarios/priority-preemption';

/** Issue 9 §1's target for a critical's publish-to-start p99, before adding one handler duration. */
const PREEMPTION_TARGET_MS = 2;

export interface Row {
  scenario: string;
  metric: MetricDef;
  ours?: number;
  bullmq?: number;
  /** ours / BullMQ. */
  ratio?: number;
  /** The scenario has no BullMQ run by design (event buses): BullMQ and the ratio show "n/a". */
  oursOnly: boolean;
  failed: string[];
}

export function rows(report: BenchReport): Row[] {
  const out: Row[] = [];
  for (const s of report.scenarios) {
    for (const metric of s.metrics) {
      const ours = value(s.runs.ours, metric.key);
      const bullmq = value(s.runs.bullmq, metric.key);
      const failed = Object.entries(s.runs)
        .filter(([, r]) => r && !r.ok)
        .map(([k, r]) => `${k}: ${r!.error}`);
      const ratio = ours !== undefined && bullmq !== undefined && bullmq !== 0 ? ours / bullmq : undefined;
      const oursOnly = !!s.systems && !s.systems.includes('bullmq');
      out.push({ scenario: s.id, metric, ours, bullmq, ratio, oursOnly, failed });
    }
  }
  return out;
}

function value(run: SystemRun | undefined, key: string): number | undefined {
  return run?.ok ? run.metrics[key] : undefined;
}

/** "ours / BullMQ" plus a word on which side is better. */
export function ratioText(row: Row): string {
  if (row.ratio === undefined) return 'n/a';
  const r = row.ratio;
  const better = row.metric.better === 'higher' ? r >= 1 : r <= 1;
  const x = r >= 100 || r < 0.01 ? r.toExponential(1) : r.toFixed(2);
  return `${x}x (${better ? 'ours better' : 'BullMQ better'})`;
}

/** One figure of a row: the value, "n/a" for BullMQ on an ours-only scenario, else `missing` (failed or not run). */
export function cellText(row: Row, side: 'ours' | 'bullmq', missing: string): string {
  const v = row[side];
  if (v !== undefined) return formatValue(v, row.metric.unit);
  return side === 'bullmq' && row.oursOnly ? 'n/a' : missing;
}

export function printTable(report: BenchReport, log: (line: string) => void = console.log): void {
  const table = rows(report).map((r) => [`${r.metric.label} (${r.metric.unit})`, cellText(r, 'ours', 'FAIL/—'), cellText(r, 'bullmq', 'FAIL/—'), ratioText(r)]);
  const head = ['scenario', 'ours', 'BullMQ', 'ours/BullMQ'];
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  log('');
  log(line(head));
  log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of table) log(line(row));
  for (const b of bars(report)) log(`bar: ${b.met ? 'MET    ' : 'MISSED '} ${b.name}: ${b.figure}`);
  const failures = failuresOf(report);
  if (failures.length) {
    log('');
    for (const f of failures) log(`FAILED ${f}`);
  }
}

export function failuresOf(report: BenchReport): string[] {
  return report.scenarios.flatMap((s) =>
    Object.entries(s.runs)
      .filter(([, r]) => r && !r.ok)
      .map(([k, r]) => `${s.id} ${k}: ${r!.error}`),
  );
}

export interface Bar {
  name: string;
  met: boolean;
  figure: string;
}

const PROCESSING = ['process-c1', 'process-c10', 'process-c100', 'steady', 'steady-priorities'];
/** Throughput against BullMQ on the same Redis, no-op handlers (the team's bar: at least 5x at concurrency 1, 10 and 100). */
export const PROCESSING_RATIO_BAR = 5;
/** Bulk publish, messages per second (the team's bar). */
export const BULK_PUBLISH_BAR = 300_000;
/** "A few commands per minute", taken as at most this many commands sent by the worker (round trips). */
export const IDLE_COMMANDS_PER_MINUTE_BAR = 5;
/** The team's bar for the latency-load scenario (half of the system's own steady capacity). */
export const HALF_CAPACITY_P99_BAR_MS = 5;

export function bars(report: BenchReport): Bar[] {
  const all = rows(report);
  const find = (scenario: string, key: string) => all.find((r) => r.scenario === scenario && r.metric.key === key);
  const out: Bar[] = [];
  const processing = all.filter((r) => PROCESSING.includes(r.scenario));
  if (processing.length) {
    const ratios = processing.map((r) => `${r.scenario} ${r.ratio === undefined ? 'n/a' : r.ratio.toFixed(2) + 'x'}`);
    out.push({
      name: `processing >= ${PROCESSING_RATIO_BAR}x BullMQ`,
      met: processing.every((r) => r.ratio !== undefined && r.ratio >= PROCESSING_RATIO_BAR),
      figure: ratios.join(', '),
    });
  }
  const bulk = find('bulk-publish', 'rate');
  if (bulk) {
    // judged on one batch in flight; the figure with several in flight is shown beside it
    const inFlight = find('bulk-publish', 'rateInFlight');
    out.push({
      name: `bulk publish >= ${BULK_PUBLISH_BAR.toLocaleString('en-US')} msgs/s (one batch in flight)`,
      met: (bulk.ours ?? 0) >= BULK_PUBLISH_BAR,
      figure: `${formatValue(bulk.ours, 'msgs/s')} msgs/s` + (inFlight ? ` (${inFlight.metric.label}: ${formatValue(inFlight.ours, 'msgs/s')})` : ''),
    });
  }
  const p99 = find('latency-idle', 'p99');
  if (p99) out.push({ name: 'idle p99 publish-to-start < 1 ms', met: p99.ours !== undefined && p99.ours < 1, figure: `${formatValue(p99.ours, 'ms')} ms` });
  const loaded = find('latency-load', 'p99');
  if (loaded) {
    out.push({
      name: `p99 publish-to-start at half capacity < ${HALF_CAPACITY_P99_BAR_MS} ms`,
      met: loaded.ours !== undefined && loaded.ours < HALF_CAPACITY_P99_BAR_MS,
      figure: `${formatValue(loaded.ours, 'ms')} ms`,
    });
  }
  const mem = find('memory', 'perMessage');
  if (mem)
    out.push({
      name: '< 150 bytes Redis memory per queued message beyond payload',
      met: mem.ours !== undefined && mem.ours < 150,
      figure: `${formatValue(mem.ours, 'bytes')} bytes`,
    });
  const idle = find('idle-commands', 'clientPerMinute');
  const idleAll = find('idle-commands', 'perMinute');
  if (idle) {
    out.push({
      name: `idle worker <= a few (${IDLE_COMMANDS_PER_MINUTE_BAR}) Redis commands per minute`,
      met: idle.ours !== undefined && idle.ours <= IDLE_COMMANDS_PER_MINUTE_BAR,
      figure: `${formatValue(idle.ours, 'cmds/min')} commands sent per minute (${formatValue(idleAll?.ours, 'cmds/min')} counting those run inside its scripts), over ${report.sizes.idleSeconds} s`,
    });
  }
  out.push(...preemptionBars(find));
  const failures = failuresOf(report);
  out.push({
    name: 'every message processed exactly once in every scenario',
    met: failures.length === 0,
    figure: failures.length ? failures.join('; ') : 'all runs verified',
  });
  return out;
}

export function scenarioById(report: BenchReport, id: string): ScenarioReport | undefined {
  return report.scenarios.find((s) => s.id === id);
}

/** Issue 9 §1: critical p99 under 2 ms plus one handler duration, per handler duration run (no-op and timed). */
function preemptionBars(find: (scenario: string, key: string) => Row | undefined): Bar[] {
  const out: Bar[] = [];
  for (const handlerMs of PREEMPTION_HANDLER_MS) {
    const figures: string[] = [];
    let met = true;
    for (const c of PREEMPTION_CONCURRENCIES) {
      const p99 = find('priority-preemption', preemptionKey(c, handlerMs, 'p99'))?.ours;
      if (p99 === undefined) continue;
      const handler = handlerMs === 0 ? 0 : (find('priority-preemption', preemptionKey(c, handlerMs, 'handler'))?.ours ?? NaN);
      const reply = find('priority-preemption', preemptionKey(c, handlerMs, 'reply_p99'))?.ours;
      const target = PREEMPTION_TARGET_MS + handler;
      met &&= p99 < target;
      figures.push(`c${c} ${p99.toFixed(2)} of ${target.toFixed(2)} ms (publish round trip p99 ${reply === undefined ? 'n/a' : reply.toFixed(2)} ms)`);
    }
    if (!figures.length) continue;
    const name = handlerMs === 0 ? 'no-op handlers' : `${handlerMs} ms handlers`;
    out.push({ name: `critical behind a low backlog, p99 < 2 ms + one handler duration (${name})`, met, figure: figures.join(', ') });
  }
  return out;
}
