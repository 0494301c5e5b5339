import { loadavg } from 'os';
import { spawnRedis } from '../libs/queue/src/testing';
import { machineInfo, MachineInfo } from './machine';
import type { ReportSource } from './merge';
import { FULL_SIZES, MetricDef, Scenario, ScenarioContext, SCENARIOS, Sizes, SMOKE_SIZES } from './scenarios';
import { openSystem, SystemKind } from './systems';

export interface BenchOptions {
  smoke?: boolean;
  /** Scenario ids to run (default all). */
  only?: string[];
  /** Systems to compare (default ours and BullMQ). */
  systems?: SystemKind[];
  /** Run the extra variants (ours with completedRetention 0) where a scenario lists them (default true). */
  variants?: boolean;
  /** Overrides of the sizes (e.g. idleSeconds). */
  sizes?: Partial<Sizes>;
  log?: (line: string) => void;
}

export interface SystemRun {
  ok: boolean;
  metrics: Record<string, number>;
  detail?: Record<string, unknown>;
  error?: string;
  elapsedMs: number;
  /** 1-minute load average of the machine before and after (other processes share the cores). */
  loadavg: [number, number];
}

export interface ScenarioReport {
  id: string;
  title: string;
  metrics: MetricDef[];
  runs: Partial<Record<SystemKind, SystemRun>>;
  /** Set when only these systems run the scenario (the event buses: ours only, no BullMQ figure or ratio). */
  systems?: SystemKind[];
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  mode: 'smoke' | 'full';
  machine: MachineInfo;
  sizes: Sizes;
  scenarios: ScenarioReport[];
  /** Set on a report merged from several saved runs (`--docs-from a.json,b.json`). */
  sources?: ReportSource[];
}

/**
 * Runs the scenarios against a throwaway redis-server (no persistence). For each scenario the
 * systems run one after the other on an emptied server and fresh key prefixes; the order
 * alternates from one scenario to the next.
 */
export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const sizes: Sizes = { ...(options.smoke ? SMOKE_SIZES : FULL_SIZES), ...options.sizes };
  const systems = options.systems ?? ['ours', 'bullmq'];
  const scenarios = selectScenarios(options.only);
  const server = await spawnRedis();
  const admin = server.client();
  const startedAt = new Date().toISOString();
  let prefixSeq = 0;
  const ctx: ScenarioContext = {
    url: server.url,
    admin,
    sizes,
    capacity: {},
    log,
    freshSystemOptions: () => ({ url: server.url, prefix: `bench${++prefixSeq}`, name: `q${prefixSeq}` }),
    open: (kind) => openSystem(kind, ctx.freshSystemOptions()),
  };
  const reports: ScenarioReport[] = [];
  try {
    const machine = await machineInfo(admin);
    for (const [index, scenario] of scenarios.entries()) {
      const order = index % 2 === 0 ? systems : [...systems].reverse();
      const kinds = [
        ...order,
        ...(options.variants === false ? [] : (scenario.variants ?? []).filter((v) => systems.includes('ours') && !order.includes(v))),
      ].filter((kind) => !scenario.systems || scenario.systems.includes(kind));
      const report: ScenarioReport = {
        id: scenario.id,
        title: scenario.title,
        metrics: scenario.metrics,
        runs: {},
        ...(scenario.systems ? { systems: scenario.systems } : {}),
      };
      for (const kind of kinds) {
        await admin.flushall('SYNC');
        report.runs[kind] = await runOne(ctx, scenario, kind);
        const r = report.runs[kind]!;
        log(
          `${scenario.id.padEnd(18)} ${kind.padEnd(8)} ${r.ok ? formatMetrics(scenario, r.metrics) : `FAILED: ${r.error}`} (${(r.elapsedMs / 1000).toFixed(1)} s, load ${r.loadavg.map((l) => l.toFixed(1)).join('->')})`,
        );
      }
      reports.push(report);
    }
    return { startedAt, finishedAt: new Date().toISOString(), mode: options.smoke ? 'smoke' : 'full', machine, sizes, scenarios: reports };
  } finally {
    admin.disconnect();
    await server.cleanup();
  }
}

async function runOne(ctx: ScenarioContext, scenario: Scenario, kind: SystemKind): Promise<SystemRun> {
  const started = Date.now();
  const load0 = loadavg()[0];
  try {
    const outcome = await scenario.run(ctx, kind);
    const bad = Object.entries(outcome.metrics).filter(([, v]) => !Number.isFinite(v));
    if (bad.length) throw new Error(`non-finite figures: ${bad.map(([k, v]) => `${k}=${v}`).join(', ')}`);
    return { ok: true, metrics: outcome.metrics, detail: outcome.detail, elapsedMs: Date.now() - started, loadavg: [load0, loadavg()[0]] };
  } catch (error) {
    return { ok: false, metrics: {}, error: (error as Error).message, elapsedMs: Date.now() - started, loadavg: [load0, loadavg()[0]] };
  }
}

function selectScenarios(only?: string[]): Scenario[] {
  if (!only?.length) return SCENARIOS;
  const unknown = only.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
  return SCENARIOS.filter((s) => only.includes(s.id));
}

function formatMetrics(scenario: Scenario, metrics: Record<string, number>): string {
  return scenario.metrics.map((m) => `${m.key}=${formatValue(metrics[m.key], m.unit)} ${m.unit}`).join(', ');
}

export function formatValue(value: number | undefined, unit: MetricDef['unit']): string {
  if (value === undefined || !Number.isFinite(value)) return 'n/a';
  if (unit === 'msgs/s' || unit === 'events/s') return Math.round(value).toLocaleString('en-US');
  if (unit === 'ms') return value.toFixed(3);
  return value.toFixed(1);
}
