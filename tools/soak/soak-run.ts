/**
 * `npm run soak`: meetings driven through the four real apps (ai-, meeting-, media- and
 * signaling-service as processes) and, beside them in the same Redis under its own key prefix, the
 * mixed load of four service-shaped QueueManager processes (tools/soak/mixed: four tiers, delays,
 * planned failures and retries, dead letters and replays, events on both buses, a recurring task,
 * dispatches), then the checks of docs/guarantees.md ("Soak"): every acknowledged request, task,
 * relayed frame, published message and event accounted for, no unplanned dead letter, event groups
 * drained, keys within retention, process RSS and Redis used_memory flat after warm-up (printed as
 * a series with the HTTP latency).
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { createQueue, createRedisClient, maskRedisUrl, QueueLogger, StoreBackedQueue } from '@meeting/queue';
import { RedisServerHandle, spawnRedis } from '@meeting/queue/testing';
import { APP_NAMES, AppName, AppProcess, createApps, distQueueLibrary, SoakRetention } from './soak-apps';
import { quantile, SoakHttp } from './soak-http';
import { checkKeys, countKeys, KeyReport } from './soak-keys';
import { GroupLag, LedgerCounts, SoakLedger } from './soak-ledger';
import { LogLedger } from './soak-logs';
import { MeetingRecord, runMeeting, settle, Urls } from './soak-meetings';
import { fmt, report } from './soak-report';
import { Flatness, judgeFlat, RULES, Sample } from './soak-series';
import { MixedCounts } from './mixed/mixed-ledger';
import { MixedLoad } from './mixed/mixed-load';
import { MIXED_PREFIX, MIXED_SERVICES } from './mixed/mixed-protocol';

export interface SoakOptions {
  /** Length of the load phase. */
  seconds: number;
  /** Use this Redis instead of a throwaway redis-server (its other keys count in the key check). */
  redisUrl?: string;
  /** Meetings run at once (each one after the other in its own loop). */
  sessions?: number;
  /** Transcripts requested per meeting. */
  transcriptsPerMeeting?: number;
  /** The apps from their sources (ts-node, as `npm start`) or from their build in dist/ (as CI has it). */
  from?: 'sources' | 'dist';
  /** Mixed load: tasks the driver publishes per second over the four mixed-load queues (0: no mixed load). */
  tasksPerSecond?: number;
  /** Mixed load: events each mixed-load process publishes per second on each bus. */
  eventsPerSecond?: number;
  /** Mixed load: dispatches per second from its meeting process to ai and media. */
  dispatchesPerSecond?: number;
  /** Longest wait after the load for everything to be accounted for. */
  drainSeconds?: number;
  /** Where the report goes (default stdout). */
  out?: (line: string) => void;
}

export interface SoakResult {
  ok: boolean;
  failures: string[];
  counts: LedgerCounts;
  /** The mixed load: what its ledger counted, what the driver published by tier and with a delay. */
  mixed?: MixedCounts & { tiers: Record<string, number>; delayed: number; notes: number };
  keys: KeyReport;
  series: {
    t: number[];
    redisMemory: number[];
    /** used_memory less the bytes of the apps' per-meeting records (MEMORY USAGE): what is judged flat. */
    redisMemoryWithoutRecords: number[];
    /** Keys other than the apps' own records (queues, dispatcher, streams, idempotency, presence, contexts). */
    keys: number[];
    /** The apps' own records (meetings, transcripts, recordings): they grow with the meetings. */
    appRecords: number[];
    /** By process: the four apps, then the mixed-load processes (`mixed <name>`). */
    rss: Record<string, number[]>;
    /** HTTP latency of the driver's calls in each sample's interval (ms). */
    httpP50: number[];
    httpP99: number[];
  };
  flatness: Record<string, Flatness>;
  startSeconds: number;
  drainSeconds: number;
  /** Warnings logged by the apps that are not faults (EXPECTED_PROBLEMS in soak-logs.ts). */
  notes: string[];
}

export const QUEUES = ['ai_tasks', 'meeting_tasks', 'media_tasks', 'signaling_tasks'] as const;
const CLEANUP_INTERVAL_MS = 1000;
const TICK_MS = 1000;
const JOIN_SECRET = 'soak-join-token-secret-0123456789';

/** Retention the apps run with: short, so a one-minute run reaches steady state in its first half. */
export function soakRetention(seconds: number): SoakRetention {
  const window = Math.max(10, Math.min(120, Math.round(seconds / 4)));
  return {
    completedCount: 200,
    completedAgeSeconds: window,
    idempotencyTtlSeconds: window,
    statusRetentionSeconds: window,
    streamMaxLen: 500,
    streamMaxAgeSeconds: window,
  };
}

const quiet: QueueLogger = { debug: () => undefined, log: () => undefined, warn: () => undefined, error: () => undefined, child: () => quiet };

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const sessions = options.sessions ?? 3;
  const perMeeting = options.transcriptsPerMeeting ?? 2;
  const from = options.from ?? 'sources';
  const retention = soakRetention(options.seconds);
  const sampleEveryMs = Math.max(1000, Math.min(15_000, Math.round((options.seconds * 1000) / 40)));
  const tasksPerSecond = options.tasksPerSecond ?? 40;
  const logs = new LogLedger();
  const ledger = new SoakLedger(logs);
  const http = new SoakHttp();
  const failures: string[] = [];
  const series: SoakResult['series'] = {
    t: [],
    redisMemory: [],
    redisMemoryWithoutRecords: [],
    keys: [],
    appRecords: [],
    rss: Object.fromEntries([...APP_NAMES, ...MIXED_SERVICES.map((s) => `mixed ${s}`)].map((s) => [s, []])),
    httpP50: [],
    httpP99: [],
  };
  const dir = mkdtempSync(join(tmpdir(), 'soak-'));
  let server: RedisServerHandle | undefined;
  let apps: Record<AppName, AppProcess> | undefined;
  let client: ReturnType<typeof createRedisClient> | undefined;
  let mixed: MixedLoad | undefined;
  const queues: StoreBackedQueue[] = [];
  try {
    // persistence on, as in production (docs/guarantees.md): AOF, fsync every second
    server = options.redisUrl ? undefined : await spawnRedis({ aof: true, args: ['--appendfsync', 'everysec'] });
    const url = options.redisUrl ?? server!.url;
    out(
      `soak: ${options.seconds} s of meetings on ${maskRedisUrl(url)}${server ? ' (throwaway redis-server)' : ''}; the four apps from ${from}; ${sessions} meetings at a time, ${perMeeting} transcripts each; sampling every ${sampleEveryMs} ms`,
    );
    client = createRedisClient({ url, logger: quiet });
    if (tasksPerSecond > 0) {
      mixed = new MixedLoad(client, {
        redisUrl: url,
        retention,
        dir,
        queueLibrary: from === 'dist' ? distQueueLibrary() : undefined,
        tasksPerSecond,
        eventsPerSecond: options.eventsPerSecond ?? 3,
        dispatchesPerSecond: options.dispatchesPerSecond ?? 3,
        tickEveryMs: TICK_MS,
        onFailure: (failure) => void failures.push(failure),
      });
      out(
        `soak: mixed load beside the apps under key prefix ${MIXED_PREFIX}: ${tasksPerSecond} tasks/s over four queues, ${options.eventsPerSecond ?? 3} events/s per process on each bus, ${options.dispatchesPerSecond ?? 3} dispatches/s`,
      );
      mixed.start(); // under ts-node: they compile while the apps start
    }
    apps = await createApps({
      redisUrl: url,
      retention,
      dir,
      from,
      cleanupIntervalMs: CLEANUP_INTERVAL_MS,
      joinSecret: JOIN_SECRET,
      onLog: (line) => logs.add(line),
      onUnexpectedExit: (app, code, signal) => void failures.push(`${app} exited during the run (code ${code}, signal ${signal})`),
    });
    const startedAt = Date.now();
    for (const app of Object.values(apps)) app.start();
    const ready = await Promise.all(Object.values(apps).map((a) => a.waitReady(from === 'dist' ? 120_000 : 300_000)));
    const down = Object.values(apps).filter((_, i) => !ready[i]);
    if (down.length > 0) throw new Error(`${down.map((a) => a.name).join(', ')} did not answer /health/ready: ${logs.problems.slice(-5).join(' | ')}`);
    if (mixed && !(await mixed.waitReady(180_000))) throw new Error(`mixed-load processes not ready: ${mixed.notReady().join(', ')} (${failures.join('; ')})`);
    const startSeconds = (Date.now() - startedAt) / 1000;
    const urls = Object.fromEntries(APP_NAMES.map((n) => [n, apps![n].url])) as Urls;
    out(`soak: apps ready after ${startSeconds.toFixed(1)} s (${APP_NAMES.map((n) => `${n} pid ${apps![n].pid}`).join(', ')})`);
    if (mixed)
      out(
        `soak: mixed-load processes ready after ${((Date.now() - startedAt) / 1000).toFixed(1)} s (${MIXED_SERVICES.map((s) => `${s} pid ${mixed!.pid(s)}`).join(', ')})`,
      );

    for (const name of QUEUES) queues.push(createQueue({ name, backend: { type: 'redis', client, prefix: 'mq' }, logger: quiet }));
    const started = Date.now();
    const elapsed = () => (Date.now() - started) / 1000;

    // samples: Redis memory and key count, every app's RSS, the driver's HTTP latency since the last sample
    let latencyFrom = 0;
    const sample = async () => {
      const info = await client!.info('memory');
      const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
      const keys = await countKeys(client!);
      const window = http.latencies.slice(latencyFrom).map((l) => l.ms);
      latencyFrom += window.length;
      series.t.push(Math.round(elapsed()));
      series.redisMemory.push(used);
      series.redisMemoryWithoutRecords.push(used - keys.appRecordBytes);
      series.keys.push(keys.total - keys.appRecords);
      series.appRecords.push(keys.appRecords);
      for (const n of APP_NAMES) series.rss[n].push(apps![n].rss());
      for (const s of MIXED_SERVICES) series.rss[`mixed ${s}`].push(mixed ? mixed.rss(s) : NaN);
      series.httpP50.push(quantile(window, 0.5));
      series.httpP99.push(quantile(window, 0.99));
    };
    const sampling = repeat(sampleEveryMs, sample, failures, 'sample');
    const sweeping = repeat(2000, () => sweep(queues, ledger), failures, 'dead-letter sweep');
    const settling = repeat(2000, () => settleAll(http, urls, ledger.meetings, logs), failures, 'settle');
    mixed?.startLoad();
    const mixedSweeping = repeat(1000, () => mixed?.sweep() ?? Promise.resolve(), failures, 'mixed-load dead-letter sweep');

    // load: `sessions` loops, each running one meeting after the other
    const loadEnds = started + options.seconds * 1000;
    let n = 0;
    const loops = Array.from({ length: sessions }, async () => {
      while (Date.now() < loadEnds && failures.length === 0) {
        const i = ++n;
        try {
          ledger.meetings.push(await runMeeting(http, urls, i, perMeeting));
        } catch (error) {
          ledger.driverErrors.push(`meeting ${i}: ${(error as Error).message}`);
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
    });
    await Promise.all(loops);
    await mixed?.stopLoad();
    const loadSeconds = elapsed();
    sampling.stop();
    await sampling.done;
    out(
      `soak: load phase over after ${loadSeconds.toFixed(0)} s (${ledger.meetings.length} meetings${mixed ? `, ${mixed.published} mixed-load tasks published` : ''}); draining`,
    );

    // drain: every meeting accounted for and the stream groups idle, or the drain timeout
    const recurringExpected = Math.max(1, Math.floor((0.8 * loadSeconds * 1000) / CLEANUP_INTERVAL_MS));
    const ticksExpected = Math.max(1, Math.floor((0.8 * loadSeconds * 1000) / TICK_MS));
    const drainMs = (options.drainSeconds ?? 90) * 1000;
    const drainStart = Date.now();
    let groups: GroupLag[] = [];
    for (;;) {
      groups = await streamGroups(client);
      const open = ledger.meetings.filter((m) => m.outstanding.length > 0);
      const mixedOpen = mixed && !mixed.settled(ticksExpected);
      if (groups.length === 0 && open.length === 0 && !mixedOpen) break;
      if (Date.now() - drainStart > drainMs) {
        out(
          `soak: drain timed out: ${open.length} meetings outstanding (${open[0]?.outstanding.join(', ') ?? '-'}), ${groups.length} stream groups busy${mixedOpen ? ', mixed load not accounted for' : ''}`,
        );
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    settling.stop();
    await settling.done;
    await settleAll(http, urls, ledger.meetings, logs).catch((e: Error) => void failures.push(`settle failed: ${e.message}`));
    groups = await streamGroups(client);
    sweeping.stop();
    await sweeping.done;
    await sweep(queues, ledger);
    mixedSweeping.stop();
    await mixedSweeping.done;
    const drainSeconds = (Date.now() - drainStart) / 1000;
    out(`soak: drained after ${drainSeconds.toFixed(1)} s`);

    const keys = await checkKeys(
      client,
      [...QUEUES.map((name) => ({ prefix: 'mq', name })), ...(mixed ? MIXED_SERVICES.map((name) => ({ prefix: MIXED_PREFIX, name })) : [])],
      retention,
    );
    const flatness: Record<string, Flatness> = {
      'redis used_memory (without app records)': judgeFlat(toSamples(series.t, series.redisMemoryWithoutRecords), RULES.redisMemory),
      'redis keys (without app records)': judgeFlat(toSamples(series.t, series.keys), RULES.keys),
    };
    for (const [s, rss] of Object.entries(series.rss))
      if (mixed || APP_NAMES.includes(s as AppName)) flatness[`rss ${s}`] = judgeFlat(toSamples(series.t, rss), RULES.rss);

    failures.push(...ledger.verdict(recurringExpected, groups));
    if (mixed) failures.push(...mixed.verdict(ticksExpected));
    failures.push(...keys.failures);
    for (const [name, f] of Object.entries(flatness)) {
      if (!f.ok) {
        failures.push(
          `${name} grows after warm-up: ${fmt(name, f.growth)} (line) and ${fmt(name, f.floorGrowth)} (floor) over the last half, allowed ${fmt(name, f.allowed)}`,
        );
      }
    }
    const result: SoakResult = {
      ok: failures.length === 0,
      failures: [...failures],
      counts: ledger.counts(),
      mixed: mixed ? { ...mixed.counts(), tiers: mixed.tiers, delayed: mixed.delayed, notes: mixed.notes() } : undefined,
      keys,
      series,
      flatness,
      startSeconds,
      drainSeconds,
      notes: logs.notes,
    };
    report(result, out);
    return result;
  } finally {
    await Promise.all([...(apps ? Object.values(apps).map((a) => a.stop()) : []), mixed?.stop()]);
    await Promise.all(queues.map((q) => q.close({ drainTimeoutMs: 100 }).catch(() => undefined)));
    client?.disconnect();
    await server?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Looks again at every meeting not accounted for yet (a call that fails is what is outstanding). */
async function settleAll(http: SoakHttp, urls: Urls, meetings: MeetingRecord[], logs: LogLedger): Promise<void> {
  for (const m of meetings) {
    if (m.outstanding.length === 0) continue;
    await settle(http, urls, m, (id) => logs.count(id)).catch((e: Error) => void (m.outstanding = [`settle: ${e.message}`]));
  }
}

/** Dead letters of the apps' queues: recorded (none is planned; each is a failure with its reason). */
async function sweep(queues: StoreBackedQueue[], ledger: SoakLedger): Promise<void> {
  for (const queue of queues) {
    const page = await queue.deadLetters.list({ limit: 1000 });
    for (const d of page.items) {
      ledger.deadLetters.set(`${queue.name}:${d.id}`, { where: queue.name, id: d.id, type: d.type ?? '?', reason: d.reason });
    }
  }
}

/** Consumer groups of every stream (events, dispatcher results) with entries pending or not yet delivered. */
async function streamGroups(client: ReturnType<typeof createRedisClient>): Promise<GroupLag[]> {
  const streams: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'COUNT', 1000, 'TYPE', 'stream');
    cursor = next;
    streams.push(...batch);
  } while (cursor !== '0');
  const busy: GroupLag[] = [];
  const fields = (raw: unknown[]) => {
    const g: Record<string, unknown> = {};
    for (let i = 0; i + 1 < raw.length; i += 2) g[String(raw[i])] = raw[i + 1];
    return g;
  };
  for (const stream of streams) {
    const groups = (await client.call('XINFO', 'GROUPS', stream)) as unknown[][];
    if (groups.length === 0) continue;
    const last = String(fields((await client.call('XINFO', 'STREAM', stream)) as unknown[])['last-generated-id']);
    for (const raw of groups) {
      const g = fields(raw);
      const pending = Number(g.pending ?? 0);
      // lag is null once the stream was trimmed (MAXLEN): then the group is caught up when it was handed the last entry
      const lag = g.lag === null || g.lag === undefined ? null : Number(g.lag);
      const behind = lag === null ? String(g['last-delivered-id']) !== last : lag > 0;
      if (pending > 0 || behind) busy.push({ stream, group: String(g.name), pending, lag });
    }
  }
  return busy;
}

function repeat(everyMs: number, step: () => Promise<void>, failures: string[], what: string): { stop(): void; done: Promise<void> } {
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      await step().catch((e: Error) => void failures.push(`${what} failed: ${e.message}`));
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return { stop: () => void (stopped = true), done };
}

function toSamples(t: number[], v: number[]): Sample[] {
  return t.map((time, i) => ({ t: time, v: v[i] })).filter((s) => Number.isFinite(s.v));
}
