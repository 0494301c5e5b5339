import { hostname } from 'os';
import type { QueueLogger } from '../../logger';
import { parseJsonOr } from '../../util/json';
import { processTag } from '../../util/unique-id';
import type { QueueStore, RateLimitSpec, StoredWorker } from '../queue-store';
import type { QueueWorkerInfo } from '../queue-inspection.types';
import { WAIT_BUCKETS_MS, WaitWindow } from '../wait-window';

/** How often a consuming process looks whether to refresh its entry (a local check, no Redis command). */
const TICK_MS = 2_500;
/** A busy worker (messages held, or started since its last beat) beats this often... */
const BUSY_BEAT_MS = 10_000;
/** ...an idle one this often (an idle worker's Redis traffic stays what it was: see docs/benchmarks.md, idle-commands). */
const IDLE_BEAT_MS = 300_000;
/** A reader counts a worker as gone once its next beat is this many times overdue. */
export const MISSED_BEATS = 2.5;
/** The registry forgets entries older than this (the longest promise, overdue). */
export const WORKER_FORGET_MS = IDLE_BEAT_MS * MISSED_BEATS;

/** What a worker's heartbeat stores (JSON) in the queue's worker registry. */
export interface WorkerRecord {
  host: string;
  pid: number;
  /** When this process started consuming the queue (ms). */
  startedAt: number;
  /** Sum of its handlers' concurrency. */
  concurrency: number;
  /** Deliveries it holds (running or waiting for a slot) at the heartbeat. */
  held: number;
  /** When its next beat is due at the latest (ms after this one): 10 s while busy, 5 min while idle. */
  beatEveryMs: number;
  /** Bucket upper bounds (ms) of `waitCounts` (the last bucket is unbounded). */
  waitBucketsMs: readonly number[];
  /** Its publish-to-start times over the minute before the beat, counted per bucket. */
  waitCounts: number[];
  /** The rate limits its fetches keep ('*' the whole queue, else a task type; absent from older versions). */
  rateLimits: RateLimitSpec[];
}

/**
 * One consuming process's entry in its queue's worker registry (one small script call, off the
 * message path), removed on close. It beats every 10 s while it holds or starts messages, within
 * 2.5 s of turning busy or idle, and every 5 minutes while idle (so an idle worker adds nothing
 * measurable to its Redis traffic); each record says when the next is due, and readers drop a
 * worker whose beat is 2.5 times overdue. Its id is the process tag that ends this process's lease
 * tokens, so operators can see who holds each message in flight.
 */
export class WorkerHeartbeat {
  readonly id = processTag();
  private readonly wait = new WaitWindow();
  private timer?: NodeJS.Timeout;
  private startedAt = 0;
  private lastBeat = 0;
  /** Starts counted since the last beat, and whether the last beat reported a busy worker. */
  private startsSinceBeat = 0;
  private lastBusy = false;

  constructor(
    private readonly store: QueueStore,
    private readonly state: () => { concurrency: number; held: number; rateLimits: readonly RateLimitSpec[] },
    private readonly logger: QueueLogger,
  ) {}

  start(): void {
    if (this.timer) return;
    this.startedAt = Date.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
    // on the next turn: handlers registered in the same tick are in the first record
    setImmediate(() => this.refresh());
  }

  /** Beats now (what it reports changed: a handler with a rate limit was registered). */
  refresh(): void {
    if (this.timer) void this.beat();
  }

  /** A handler started, a first attempt `waitMs` after its message was ready (an array increment). */
  started(waitMs?: number): void {
    if (waitMs !== undefined) this.wait.record(waitMs);
    this.startsSinceBeat++;
  }

  async stop(): Promise<void> {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.store.removeWorker(this.id).catch(() => undefined);
  }

  private busy(): boolean {
    return this.startsSinceBeat > 0 || this.state().held > 0;
  }

  private tick(): void {
    const busy = this.busy();
    const since = Date.now() - this.lastBeat;
    if (busy !== this.lastBusy || since >= (busy ? BUSY_BEAT_MS : IDLE_BEAT_MS)) void this.beat();
  }

  private async beat(): Promise<void> {
    const busy = this.busy();
    const { concurrency, held, rateLimits } = this.state();
    this.lastBeat = Date.now();
    this.lastBusy = busy;
    this.startsSinceBeat = 0;
    const record: WorkerRecord = {
      host: hostname(),
      pid: process.pid,
      startedAt: this.startedAt,
      concurrency,
      held,
      beatEveryMs: busy ? BUSY_BEAT_MS : IDLE_BEAT_MS,
      waitBucketsMs: WAIT_BUCKETS_MS,
      waitCounts: this.wait.counts(),
      rateLimits: rateLimits.map(({ name, max, perMs }) => ({ name, max, perMs })),
    };
    try {
      await this.store.heartbeat(this.id, JSON.stringify(record), WORKER_FORGET_MS);
    } catch (error) {
      // Redis outages are reported by the fetch loop; a missed beat only ages the entry
      this.logger.debug(`worker heartbeat failed: ${(error as Error).message}`);
    }
  }
}

/**
 * The workers a read of the registry (`store.workers(WORKER_FORGET_MS)`, at `now` on the store's
 * clock) shows, from their records; a worker whose beat is MISSED_BEATS times overdue is gone
 * (crashed, or cut off from Redis) and left out.
 */
export function workerInfos(now: number, items: readonly StoredWorker[]): QueueWorkerInfo[] {
  const nums = (v: unknown) => (Array.isArray(v) ? v.map(Number) : []);
  const out: QueueWorkerInfo[] = [];
  for (const { id, seenAt, record } of items) {
    const r = parseJsonOr<Record<string, unknown>, undefined>(record ?? '', undefined) ?? {};
    const beatEveryMs = Number(r.beatEveryMs ?? 10_000);
    const lastSeenAgoMs = Math.max(0, now - seenAt);
    if (lastSeenAgoMs > beatEveryMs * MISSED_BEATS) continue; // gone (crashed, or cut off from Redis)
    out.push({
      id,
      host: String(r.host ?? ''),
      pid: Number(r.pid ?? 0),
      startedAt: Number(r.startedAt ?? 0),
      lastSeenAt: seenAt,
      lastSeenAgoMs,
      beatEveryMs,
      concurrency: Number(r.concurrency ?? 0),
      held: Number(r.held ?? 0),
      waitCounts: nums(r.waitCounts),
      waitBucketsMs: nums(r.waitBucketsMs),
      rateLimits: rateLimitsOf(r.rateLimits),
    });
  }
  return out;
}

/** The `rateLimits` of a heartbeat record: well-formed entries only. */
function rateLimitsOf(value: unknown): RateLimitSpec[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((v): v is RateLimitSpec => typeof v?.name === 'string' && Number(v.max) > 0 && Number(v.perMs) > 0)
    .map((v) => ({ name: v.name, max: Number(v.max), perMs: Number(v.perMs) }));
}
