/**
 * The bench harness keeps working: every scenario of `npm run bench` at smoke size, for our queue
 * and BullMQ. Asserts only that each completed correctly (every message processed exactly once,
 * figures are finite numbers), never speed.
 */
import { runBench } from '../../../bench/harness';
import { SCENARIOS } from '../../../bench/scenarios';

jest.setTimeout(120_000);

describe('bench smoke run', () => {
  it('runs every scenario for ours and BullMQ, each message processed exactly once', async () => {
    const lines: string[] = [];
    const report = await runBench({ smoke: true, log: (line) => lines.push(line) });

    expect(report.scenarios.map((s) => s.id)).toEqual(SCENARIOS.map((s) => s.id));
    for (const scenario of report.scenarios) {
      for (const kind of ['ours', 'bullmq'] as const) {
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
