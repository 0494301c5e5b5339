/**
 * The soak in CI (issue 13): `npm run soak -- --minutes 1` in-process, its verdict asserted: the
 * four real apps as processes, from their build in dist/ when SOAK_APPS=dist (built and started
 * under the dist lock: soakFromDist), else from the sources under ts-node (slow to start on a busy machine, hence the budget),
 * and beside them the mixed load of four service-shaped processes (tools/soak/mixed).
 * The flatness rule and the key patterns are unit-tested below.
 */
import { deferred } from '@meeting/queue/testing';
import { DIST_LOCK_TIMEOUT_MS, withBuiltProjects } from '../../libs/queue/test/support/built-projects';
import { APP_NAMES } from './soak-apps';
import { runSoak, SoakResult } from './soak-run';
import { judgeFlat, MB, RULES } from './soak-series';
import { isAppRecord, keyPattern } from './soak-keys';
import { MixedLedger } from './mixed/mixed-ledger';
import type { MixedReport } from './mixed/mixed-protocol';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const FROM = process.env.SOAK_APPS === 'dist' ? 'dist' : 'sources';
/** The report's line once the mixed-load processes are ready too (printed after the apps answered /health/ready). */
const LOADED = /^soak: mixed-load processes ready after /;

/**
 * The soak from dist/: `nx build` of the four apps (read from the Nx cache after .ci/run's build
 * step) and their start under the dist lock (libs/queue/test/support/built-projects.ts), released
 * once the apps answer /health/ready and the mixed-load processes (which load the queue library
 * from dist/apps/ai-service) are ready: by then they have required their code and read their Lua
 * scripts and configuration, so another spec's build may rewrite dist/. Released as well when the
 * soak ends before that (it failed, or runs without the mixed load).
 */
async function soakFromDist(out: (line: string) => void): Promise<SoakResult> {
  let soak: Promise<SoakResult> | undefined;
  await withBuiltProjects(APP_NAMES, async () => {
    const loaded = deferred();
    const watch = (line: string) => {
      out(line);
      if (LOADED.test(line)) loaded.resolve();
    };
    soak = runSoak({ seconds: SECONDS, from: 'dist', out: watch });
    await Promise.race([loaded.promise, soak.catch(() => undefined)]);
  });
  return soak!;
}

describe('soak', () => {
  it(
    `${SECONDS} s of meetings through the four apps (from ${FROM}) and mixed load beside them: everything accounted for, keys within retention, memory flat`,
    async () => {
      const lines: string[] = [];
      const out = (line: string) => void lines.push(line);
      const result = FROM === 'dist' ? await soakFromDist(out) : await runSoak({ seconds: SECONDS, from: FROM, out });
      // the whole report is the failure message, so a red CI run shows the series and what failed
      if (!result.ok) throw new Error(lines.join('\n'));
      process.stdout.write(`${lines.join('\n')}\n`); // the figures, in the CI log
      expect(result.failures).toEqual([]);
      const c = result.counts;
      expect(c.meetings).toBeGreaterThanOrEqual(6);
      expect(c.autoEnded).toBeGreaterThan(0);
      expect(c.transcripts).toBe(c.meetings * 2);
      expect(c.runs.recording_process).toBe(c.meetings);
      expect(c.runs.transcode).toBe(c.meetings);
      expect(c.recurring).toBeGreaterThanOrEqual(Math.floor(SECONDS * 0.8));
      expect(result.series.t.length).toBeGreaterThanOrEqual(10);
      // the mixed load: four tiers, delays, retries, dead letters and replays, both buses, recurring and dispatched tasks
      const m = result.mixed!;
      expect(m.published).toBeGreaterThan(SECONDS * 20);
      for (const tier of ['critical', 'high', 'normal', 'low']) expect(m.tiers[tier]).toBeGreaterThan(0);
      expect(m.delayed).toBeGreaterThan(0);
      expect(m.retriedAttempts).toBeGreaterThan(0);
      expect(m.deadLettered).toBeGreaterThan(m.replayed);
      expect(m.replayed).toBeGreaterThan(0);
      expect(m.ticks).toBeGreaterThanOrEqual(Math.floor(SECONDS * 0.8));
      expect(m.dispatched).toBeGreaterThan(0);
      expect(m.pubsubEvents).toBeGreaterThan(0);
      expect(m.streamEvents).toBeGreaterThan(0);
      expect(result.flatness['rss mixed meeting']).toBeDefined();
    },
    (SECONDS + (FROM === 'dist' ? 300 : 480)) * 1000 + (FROM === 'dist' ? DIST_LOCK_TIMEOUT_MS : 0),
  );
});

describe('flatness rule', () => {
  const series = (values: number[]) => values.map((v, t) => ({ t, v }));

  it('judges only the last half: a warm-up climb followed by a plateau is flat', () => {
    const warm = series([...Array.from({ length: 10 }, (_, i) => 100 * MB + i * 10 * MB), ...Array.from({ length: 10 }, () => 200 * MB)]);
    expect(judgeFlat(warm, RULES.rss).ok).toBe(true);
  });

  it('a steady climb in the last half is growth, beyond the absolute and the relative allowance', () => {
    const leak = series(Array.from({ length: 20 }, (_, i) => 100 * MB + i * 5 * MB));
    const f = judgeFlat(leak, RULES.rss);
    expect(f.ok).toBe(false);
    expect(f.growth).toBeCloseTo(45 * MB, -5);
  });

  it("a garbage collector's sawtooth is flat (the floor does not rise), a rising floor is not", () => {
    const saw = series(Array.from({ length: 40 }, (_, i) => 130 * MB + (i % 13) * 3 * MB));
    expect(judgeFlat(saw, RULES.rss).ok).toBe(true);
    const leakySaw = series(Array.from({ length: 40 }, (_, i) => 130 * MB + (i % 13) * 3 * MB + i * 4 * MB));
    expect(judgeFlat(leakySaw, RULES.rss).ok).toBe(false);
  });

  it('noise around a level is flat', () => {
    const noisy = series(Array.from({ length: 30 }, (_, i) => 3 * MB + (i % 2 === 0 ? 1 : -1) * 0.5 * MB));
    expect(judgeFlat(noisy, RULES.redisMemory).ok).toBe(true);
  });

  it('key patterns replace per-item parts', () => {
    expect(keyPattern('mq:{ai}:idem:recurring:meeting:soak-tick:1796030000000')).toBe('mq:{ai}:idem:*');
    expect(keyPattern('mq:{meeting}:dsp:reply:0b7c3f2e-1a2b-4c3d-8e9f-001122334455')).toBe('mq:{meeting}:dsp:reply:*');
    expect(keyPattern('mq:{ai}:msgs')).toBe('mq:{ai}:msgs');
    expect(keyPattern('mq:meeting:{m-67a5d9c2}:transcripts')).toBe('mq:meeting:{*}:transcripts');
    expect(keyPattern('mq:recording:{rec-m-67a5d9c2}')).toBe('mq:recording:{*}');
    expect(keyPattern('mq:meeting-task:ai_tasks:mx38wsqo000bwyjng')).toBe('mq:meeting-task:ai_tasks:*');
    expect(keyPattern('mq:{signaling_tasks}:workers')).toBe('mq:{signaling_tasks}:workers');
    expect(keyPattern('soak:replayed:mx38wsqo000bwyjng')).toBe('soak:replayed:*');
    expect(keyPattern('soak:{meeting}:dsp:done:0b7c3f2e-1a2b-4c3d-8e9f-001122334455')).toBe('soak:{meeting}:dsp:done:*');
  });

  it("the apps' per-meeting records are told apart from the queues' keys", () => {
    expect(isAppRecord('mq:meeting:{m-67a5d9c2}')).toBe(true);
    expect(isAppRecord('mq:ai-results:{m-67a5d9c2}')).toBe(true);
    expect(isAppRecord('mq:{meeting_tasks}:msgs')).toBe(false);
    expect(isAppRecord('mq:ev:{meeting_events}:stream')).toBe(false);
  });
});

describe('mixed-load ledger', () => {
  const report = (service: MixedReport['service'], part: Partial<MixedReport>): MixedReport => ({
    kind: 'report',
    service,
    done: [],
    published: [],
    received: [],
    dispatched: [],
    waited: 0,
    outcomes: [],
    problems: [],
    ...part,
  });

  it('accounts for tasks run once, a flaky one on its last attempt, a poison one dead-lettered and a replayed one run after its replay', () => {
    const ledger = new MixedLedger();
    ledger.published('ai', 'a', 'ok');
    ledger.published('ai', 'f', 'flaky', 2);
    ledger.published('ai', 'p', 'poison');
    ledger.published('ai', 'r', 'replay');
    expect(ledger.deadLettered('ai', 'p', 'non-retryable error: planned poison message')).toBe('poison');
    expect(ledger.deadLettered('ai', 'r', 'non-retryable error: planned: dead until the driver replays it')).toBe('replay');
    ledger.replayed('ai', 'r');
    ledger.add(
      report('ai', {
        done: [
          { queue: 'ai', id: 'a', type: 'ok', attempt: 1 },
          { queue: 'ai', id: 'f', type: 'flaky', attempt: 3 },
          { queue: 'ai', id: 'r', type: 'replay', attempt: 1 },
        ],
      }),
    );
    expect(ledger.verdict(0)).toEqual([]);
    expect(ledger.counts()).toMatchObject({ published: 4, deadLettered: 2, replayed: 1, retriedAttempts: 2 });
  });

  it('lists a task run twice, a poison message that ran, a dead letter of no published task and an event one subscriber missed', () => {
    const ledger = new MixedLedger();
    ledger.published('ai', 'a', 'ok');
    ledger.published('ai', 'p', 'poison');
    expect(ledger.deadLettered('ai', 'x', 'boom')).toBeUndefined();
    const run = { queue: 'ai', id: 'a', type: 'ok', attempt: 1 };
    ledger.add(report('ai', { done: [run, run, { queue: 'ai', id: 'p', type: 'poison', attempt: 1 }], published: [{ bus: 'pubsub', id: 'e1' }] }));
    for (const s of ['meeting', 'ai', 'media'] as const) ledger.add(report(s, { received: [{ bus: 'pubsub', id: 'e1' }] }));
    const verdict = ledger.verdict(0).join('\n');
    expect(verdict).toMatch(/1 published tasks not processed exactly once: ai:a ok \(runs 2/);
    expect(verdict).toMatch(/1 planned failures not dead-lettered with their reason.*ai:p \(runs 1/);
    expect(verdict).toMatch(/1 unexpected dead letters.*ai:x: boom/);
    expect(verdict).toMatch(/1 pubsub deliveries missing: e1->signaling/);
    expect(ledger.settled(0)).toBe(false);
  });
});
