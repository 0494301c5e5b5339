/**
 * The bench harness keeps working: every scenario of `npm run bench` at smoke size, for our queue
 * and BullMQ (the event-bus scenarios for ours only: BullMQ has no event bus). Asserts only that
 * each completed correctly (every message or event processed exactly once, figures are finite
 * numbers), never speed.
 */
import { runBench } from '../../../bench/harness';
import { SCENARIOS } from '../../../bench/scenarios';

// Only a guard against a hang: each phase of the run has its own bound (SMOKE_SIZES.timeoutMs), and
// the run takes about a minute on a busy 2-core machine.
jest.setTimeout(600_000);

describe('bench smoke run', () => {
  it('runs every scenario for ours and BullMQ (event buses and rate limits: ours only), each message processed exactly once', async () => {
    const lines: string[] = [];
    const report = await runBench({ smoke: true, log: (line) => lines.push(line) });

    expect(report.scenarios.map((s) => s.id)).toEqual(SCENARIOS.map((s) => s.id));
    expect(report.scenarios.map((s) => s.id)).toEqual(expect.arrayContaining(['bus-pubsub-fanout', 'bus-streams', 'bus-local']));
    for (const scenario of report.scenarios) {
      const expected = SCENARIOS.find((s) => s.id === scenario.id)?.systems ?? (['ours', 'bullmq'] as const);
      expect({
        scenario: scenario.id,
        systems: Object.keys(scenario.runs)
          .filter((k) => k !== 'ours-r0')
          .sort(),
      }).toEqual({ scenario: scenario.id, systems: [...expected].sort() });
      for (const kind of expected) {
        const run = scenario.runs[kind];
        expect({ scenario: scenario.id, kind, ok: run?.ok, error: run?.error }).toEqual({ scenario: scenario.id, kind, ok: true, error: undefined });
        for (const metric of scenario.metrics) {
          expect(Number.isFinite(run!.metrics[metric.key])).toBe(true);
        }
      }
      for (const run of Object.values(scenario.runs)) expect(run?.error).toBeUndefined();
    }
  });
});

describe('bench delivery tracker', () => {
  it('reports missing and duplicated messages', () => {
    const { DeliveryTracker } = jest.requireActual('../../../bench/lib/tracker') as typeof import('../../../bench/lib/tracker');
    const ok = new DeliveryTracker(4);
    [0, 1, 2].forEach((i) => ok.record(i));
    expect(() => ok.verify(3, 'ok')).not.toThrow();
    const bad = new DeliveryTracker(4);
    [0, 0, 2].forEach((i) => bad.record(i));
    expect(() => bad.verify(3, 'bad')).toThrow(/1 never processed .* 1 processed more than once/);
  });
});

describe('bench report of an ours-only scenario and merged runs', () => {
  const { mergeReports } = jest.requireActual('../../../bench/merge') as typeof import('../../../bench/merge');
  const { rows, cellText, ratioText } = jest.requireActual('../../../bench/report') as typeof import('../../../bench/report');
  type Report = import('../../../bench/harness').BenchReport;
  const run = (rate: number) => ({ ok: true, metrics: { rate }, elapsedMs: 1, loadavg: [0, 0] as [number, number] });
  const metric = { key: 'rate', label: 'rate', unit: 'events/s' as const, better: 'higher' as const };
  const base = (startedAt: string, scenarios: Report['scenarios']): Report => ({
    startedAt,
    finishedAt: startedAt,
    mode: 'full',
    sizes: { idleSeconds: 60 } as Report['sizes'],
    scenarios,
    machine: { cpuModel: 'x', cores: 2, memoryGiB: 1, node: 'v20', redis: '7', bullmq: '5', platform: 'linux', commit: startedAt },
  });

  it('shows n/a for BullMQ and no ratio on an ours-only scenario; a later run replaces the same scenario', () => {
    const full = base('a', [
      { id: 'steady', title: 'steady', metrics: [metric], runs: { ours: run(2), bullmq: run(1) } },
      { id: 'bus-local', title: 'old', metrics: [metric], runs: { ours: run(5) }, systems: ['ours'] },
    ]);
    const buses = base('b', [{ id: 'bus-local', title: 'new', metrics: [metric], runs: { ours: run(7) }, systems: ['ours'] }]);
    const merged = mergeReports([
      { file: 'a.json', report: full },
      { file: 'b.json', report: buses },
    ]);

    expect(merged.scenarios.map((s) => `${s.id}:${s.title}`)).toEqual(['steady:steady', 'bus-local:new']);
    expect(merged.sizes.idleSeconds).toBe(60);
    expect(merged.sources?.map((s) => [s.file, s.scenarios])).toEqual([
      ['a.json', ['steady']],
      ['b.json', ['bus-local']],
    ]);
    const [steady, bus] = rows(merged);
    expect([cellText(steady, 'bullmq', 'FAIL'), ratioText(steady)]).toEqual(['1', '2.00x (ours better)']);
    expect([cellText(bus, 'ours', 'FAIL'), cellText(bus, 'bullmq', 'FAIL'), ratioText(bus)]).toEqual(['7', 'n/a', 'n/a']);
  });

  it("judges issue 9's preemption target per handler duration: p99 under 2 ms plus the measured handler mean", () => {
    const { bars } = jest.requireActual('../../../bench/report') as typeof import('../../../bench/report');
    const ms = (key: string) => ({ key, label: key, unit: 'ms' as const, better: 'lower' as const });
    const figures: Record<string, number> = {
      c1_p99: 1.9,
      c1_reply_p99: 0.4,
      c10_p99: 2.1,
      c10_reply_p99: 0.5,
      c100_p99: 1.5,
      c100_reply_p99: 0.5,
      c1_h5_p99: 7.0,
      c1_h5_handler: 5.2,
      c1_h5_reply_p99: 0.3,
      c10_h5_p99: 7.1,
      c10_h5_handler: 5.2,
      c10_h5_reply_p99: 0.3,
      c100_h5_p99: 6.0,
      c100_h5_handler: 5.3,
      c100_h5_reply_p99: 0.3,
    };
    const scenario = {
      id: 'priority-preemption',
      title: 'preemption',
      metrics: Object.keys(figures).map(ms),
      runs: { ours: { ok: true, metrics: figures, elapsedMs: 1, loadavg: [0, 0] as [number, number] } },
    };
    const found = bars(base('c', [scenario])).filter((b) => b.name.startsWith('critical behind a low backlog'));

    expect(found.map((b) => [b.name, b.met])).toEqual([
      ['critical behind a low backlog, p99 < 2 ms + one handler duration (no-op handlers)', false],
      ['critical behind a low backlog, p99 < 2 ms + one handler duration (5 ms handlers)', true],
    ]);
    expect(found[0].figure).toContain('c10 2.10 of 2.00 ms (publish round trip p99 0.50 ms)');
    expect(found[1].figure).toContain('c10 7.10 of 7.20 ms');
  });

  it('judges the half-capacity bar on the latency-load p99 of ours: under 5 ms', () => {
    const { bars } = jest.requireActual('../../../bench/report') as typeof import('../../../bench/report');
    const judged = (p99: number) => {
      const scenario = {
        id: 'latency-load',
        title: 'latency at half capacity',
        metrics: [{ key: 'p99', label: 'p99', unit: 'ms' as const, better: 'lower' as const }],
        runs: { ours: { ok: true, metrics: { p99 }, elapsedMs: 1, loadavg: [0, 0] as [number, number] } },
      };
      return bars(base('c', [scenario])).find((b) => b.name === 'p99 publish-to-start at half capacity < 5 ms');
    };
    expect(judged(4.9)).toMatchObject({ met: true, figure: '4.900 ms' });
    expect(judged(5)).toMatchObject({ met: false });
  });
});
