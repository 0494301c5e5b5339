/**
 * The soak's mixed load, beside the real apps in the same Redis (under MIXED_PREFIX): four
 * service-shaped QueueManager processes (mixed-service.ts) and the driver's side of it. The driver
 * publishes tasks over the four queues in all four priority tiers, some delayed, some failing their
 * first attempts (retried), some poison (dead-lettered), some dead-lettered until the driver replays
 * them; the processes publish events on both buses (`redis_pubsub` and `redis_stream`, each received
 * by all four), meeting dispatches tasks to ai and media and runs a recurring task. The ledger
 * (mixed-ledger.ts) accounts for every message.
 */
import { ChildProcess, fork } from 'child_process';
import { writeFileSync } from 'fs';
import { join } from 'path';
import { createQueue, PublishOptions, QueueLogger, RedisClient, StoreBackedQueue } from '@meeting/queue';
import { processRss, SoakRetention } from '../soak-apps';
import { MixedCounts, MixedLedger } from './mixed-ledger';
import { MIXED_PREFIX, MIXED_SERVICES, MixedMessage, MixedService, MixedSettings, replayedKey, TaskType } from './mixed-protocol';

export interface MixedLoadOptions {
  redisUrl: string;
  retention: SoakRetention;
  /** Tasks the driver publishes per second, over the four queues. */
  tasksPerSecond: number;
  /** Events each process publishes per second on each bus. */
  eventsPerSecond: number;
  /** Dispatches per second from meeting to ai and media. */
  dispatchesPerSecond: number;
  /** Interval of the recurring task. */
  tickEveryMs: number;
  /** Folder for the processes' tsconfig when they use a built library. */
  dir: string;
  /**
   * The compiled `@meeting/queue` entry point the processes load (the build in dist/, as the apps
   * from dist run it: ts-node then compiles only the process's own two files). Undefined: the
   * library's sources under ts-node.
   */
  queueLibrary?: string;
  /** Something went wrong that the verdict must list (a process exited, a publish failed). */
  onFailure: (failure: string) => void;
}

const ROOT = join(__dirname, '../../..');
const TYPES: Array<[TaskType, number]> = [
  ['ok', 0.6],
  ['slow', 0.15],
  ['flaky', 0.13],
  ['poison', 0.06],
  ['replay', 0.06],
];
const PRIORITIES = ['critical', 'high', 'normal', 'low'] as const;

/**
 * Warnings that are not faults: a recurring occurrence the scheduler reached later than its grace
 * (a starved machine) is skipped by `missed_policy: skip`, and says so. They are counted and
 * printed; the recurring check allows for them (at least 80% of the occurrences).
 */
const EXPECTED_PROBLEMS: RegExp[] = [/warn recurring task "soak-tick" missed runs since .* \(policy skip\)/];

const quiet: QueueLogger = { debug: () => undefined, log: () => undefined, warn: () => undefined, error: () => undefined, child: () => quiet };

export class MixedLoad {
  readonly ledger = new MixedLedger();
  /** Tasks the driver published. */
  published = 0;
  /** Of them, by priority tier, and how many with a delay. */
  readonly tiers: Record<string, number> = Object.fromEntries(PRIORITIES.map((p) => [p, 0]));
  delayed = 0;
  private readonly children = new Map<MixedService, ChildProcess>();
  private readonly ready = new Set<MixedService>();
  private readonly stopped = new Set<MixedService>();
  private readonly publishers: StoreBackedQueue[] = [];
  private readonly publishing = new Set<Promise<void>>();
  private loadTimer?: NodeJS.Timeout;

  constructor(
    private readonly client: RedisClient,
    private readonly options: MixedLoadOptions,
  ) {}

  /** Forks the four processes (under ts-node: they compile while the apps start). */
  start(): void {
    let project = join(ROOT, 'tsconfig.base.json');
    if (this.options.queueLibrary) {
      project = join(this.options.dir, 'tsconfig.mixed-load.json');
      const compilerOptions = { baseUrl: ROOT, paths: { '@meeting/queue': [this.options.queueLibrary] } };
      writeFileSync(project, JSON.stringify({ extends: join(ROOT, 'tsconfig.base.json'), compilerOptions }));
    }
    for (const service of MIXED_SERVICES) {
      const settings: MixedSettings = {
        service,
        redisUrl: this.options.redisUrl,
        eventsPerSecond: this.options.eventsPerSecond,
        dispatchesPerSecond: this.options.dispatchesPerSecond,
        tickEveryMs: this.options.tickEveryMs,
        retention: this.options.retention,
      };
      const child = fork(join(__dirname, 'mixed-service.ts'), [], {
        cwd: ROOT,
        execArgv: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'],
        env: { ...process.env, SOAK_SERVICE: JSON.stringify(settings), TS_NODE_PROJECT: project },
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      this.children.set(service, child);
      child.on('message', (m: MixedMessage) => {
        if (m.kind === 'ready') this.ready.add(m.service);
        else if (m.kind === 'report') this.ledger.add(m);
        else if (m.kind === 'stopped') this.stopped.add(m.service);
      });
      child.on('exit', (code, signal) => {
        if (!this.stopped.has(service)) this.options.onFailure(`mixed-load process ${service} exited during the run (code ${code}, signal ${signal})`);
      });
    }
  }

  /** True once all four are subscribed and ready; false when one exits or `timeoutMs` passes. */
  async waitReady(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.ready.size < MIXED_SERVICES.length) {
      const exited = [...this.children.values()].some((c) => c.exitCode !== null || c.signalCode !== null);
      if (exited || Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return true;
  }

  /** Processes not ready yet (for the error when `waitReady` fails). */
  notReady(): MixedService[] {
    return MIXED_SERVICES.filter((s) => !this.ready.has(s));
  }

  /** Every process subscribed before any publishes (an event published earlier is legitimately missed); then a batch per queue every 100 ms. */
  startLoad(): void {
    for (const name of MIXED_SERVICES)
      this.publishers.push(createQueue({ name, backend: { type: 'redis', client: this.client, prefix: MIXED_PREFIX }, logger: quiet }));
    for (const child of this.children.values()) child.send({ cmd: 'start-load' });
    let owed = 0;
    this.loadTimer = setInterval(() => {
      owed += this.options.tasksPerSecond / 10 / MIXED_SERVICES.length;
      const n = Math.floor(owed);
      owed -= n;
      if (n === 0) return;
      for (const queue of this.publishers) {
        const batch = Array.from({ length: n }, () => task());
        const p = queue.publishBatch(batch.map((b) => b.publish)).then(
          (ids) =>
            ids.forEach((id, i) => {
              this.ledger.published(queue.name, id, batch[i].type, batch[i].fails);
              this.tiers[batch[i].publish.priority ?? 'normal']++;
              if (batch[i].publish.delayMs) this.delayed++;
            }),
          (e: Error) => this.options.onFailure(`mixed load: publish to ${queue.name} failed: ${e.message}`),
        );
        this.publishing.add(p);
        void p.finally(() => this.publishing.delete(p));
        this.published += n;
      }
    }, 100);
  }

  /** Stops publishing tasks, events, dispatches and the recurring task. */
  async stopLoad(): Promise<void> {
    clearInterval(this.loadTimer);
    await Promise.all(this.publishing);
    for (const child of this.children.values()) child.send({ cmd: 'stop-load' });
  }

  /** Dead letters: planned `replay` ones are replayed (after marking them so their handler succeeds once), every other one is recorded and deleted. */
  async sweep(): Promise<void> {
    const markTtl = Math.max(60, this.options.retention.idempotencyTtlSeconds);
    for (const queue of this.publishers) {
      const page = await queue.deadLetters.list({ limit: 1000 });
      for (const d of page.items) {
        const type = this.ledger.deadLettered(queue.name, d.id, d.reason);
        if (type === undefined) continue; // not known yet: looked at again on the next pass
        if (type === 'replay') {
          await this.client.set(replayedKey(d.id), '1', 'EX', markTtl);
          await queue.deadLetters.replay(d.id);
          this.ledger.replayed(queue.name, d.id);
        } else {
          await queue.deadLetters.delete(d.id);
        }
      }
    }
  }

  /** Every message accounted for (the drain can end). */
  settled(ticksExpected: number): boolean {
    return this.ledger.settled(ticksExpected);
  }

  /** What is not accounted for, and unexpected warnings/errors the processes logged. */
  verdict(ticksExpected: number): string[] {
    const problems = this.ledger.problems.filter((p) => !EXPECTED_PROBLEMS.some((re) => re.test(p)));
    const out = this.ledger.verdict(ticksExpected).map((f) => `mixed load: ${f}`);
    if (problems.length > 0) out.push(`mixed load: ${problems.length} unexpected warnings/errors logged: ${problems.slice(0, 5).join(' | ')}`);
    return out;
  }

  /** Warnings matching EXPECTED_PROBLEMS (a starved machine). */
  notes(): number {
    return this.ledger.problems.filter((p) => EXPECTED_PROBLEMS.some((re) => re.test(p))).length;
  }

  counts(): MixedCounts {
    return this.ledger.counts();
  }

  /** RSS of each process in bytes (NaN when not running). */
  rss(service: MixedService): number {
    const child = this.children.get(service);
    return child && child.exitCode === null && child.signalCode === null ? processRss(child.pid) : NaN;
  }

  pid(service: MixedService): number | undefined {
    return this.children.get(service)?.pid;
  }

  /** Shuts the processes down (SIGKILL after 10 s) and closes the driver's queues. */
  async stop(): Promise<void> {
    clearInterval(this.loadTimer);
    await Promise.all(
      [...this.children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            try {
              child.send({ cmd: 'shutdown' });
            } catch {
              child.kill('SIGKILL');
            }
          }),
      ),
    );
    await Promise.all(this.publishers.map((q) => q.close({ drainTimeoutMs: 100 }).catch(() => undefined)));
  }
}

function task(): { publish: PublishOptions; type: TaskType; fails: number } {
  let r = Math.random();
  let type: TaskType = 'ok';
  for (const [t, w] of TYPES) {
    if (r < w) {
      type = t;
      break;
    }
    r -= w;
  }
  const priority = PRIORITIES[Math.floor(Math.random() * 4)];
  const fails = type === 'flaky' ? 1 + Math.floor(Math.random() * 2) : 0;
  const delayMs = (type === 'ok' || type === 'slow') && Math.random() < 0.2 ? 50 + Math.floor(Math.random() * 3000) : 0;
  const payload = type === 'slow' ? { ms: 5 + Math.floor(Math.random() * 45) } : type === 'flaky' ? { fails } : { n: Math.random() };
  return { publish: { type, payload, priority, delayMs, maxRetries: 3 }, type, fails };
}
