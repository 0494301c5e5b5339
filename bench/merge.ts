import type { BenchReport, ScenarioReport } from './harness';
import { SCENARIOS } from './scenarios';

/** Where the scenarios of a merged report came from (one entry per results file). */
export interface ReportSource {
  file: string;
  startedAt: string;
  mode: BenchReport['mode'];
  commit: string;
  /** Scenario ids taken from this file (those not replaced by a later file). */
  scenarios: string[];
}

/**
 * Merges saved runs for `--docs-from a.json,b.json`: a scenario of a later file replaces the same
 * scenario of an earlier one (e.g. a full queue run plus an `--only bus-...` run). Scenarios are put
 * in run order; machine and base sizes come from the first file, sizes it lacks from the later ones.
 */
export function mergeReports(inputs: Array<{ file: string; report: BenchReport }>): BenchReport {
  if (inputs.length === 0) throw new Error('--docs-from needs at least one results file');
  if (inputs.length === 1) return inputs[0].report;
  const byId = new Map<string, { scenario: ScenarioReport; source: number }>();
  inputs.forEach(({ report }, source) => report.scenarios.forEach((scenario) => byId.set(scenario.id, { scenario, source })));
  const order = SCENARIOS.map((s) => s.id);
  const rank = (id: string) => (order.includes(id) ? order.indexOf(id) : order.length);
  const ids = [...byId.keys()].sort((a, b) => rank(a) - rank(b));
  const first = inputs[0].report;
  const sizes = { ...first.sizes };
  for (const { report } of inputs.slice(1)) {
    for (const [key, value] of Object.entries(report.sizes)) if (!(key in sizes)) (sizes as unknown as Record<string, number>)[key] = value;
  }
  const sources: ReportSource[] = inputs
    .map(({ file, report }, index) => ({
      file,
      startedAt: report.startedAt,
      mode: report.mode,
      commit: report.machine.commit,
      scenarios: ids.filter((id) => byId.get(id)!.source === index),
    }))
    .filter((s) => s.scenarios.length > 0);
  return {
    startedAt: first.startedAt,
    finishedAt: inputs[inputs.length - 1].report.finishedAt,
    mode: inputs.some(({ report }) => report.mode === 'smoke') ? 'smoke' : 'full',
    machine: first.machine,
    sizes,
    scenarios: ids.map((id) => byId.get(id)!.scenario),
    sources,
  };
}
