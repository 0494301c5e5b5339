import { hostname } from 'os';
import type { QueueLogger } from '../logger';
import { processTag } from '../util/unique-id';
import type { QueueStore } from './queue-store';
import { WAIT_BUCKETS_MS, WaitWindow } from './wait-window';

/** How often a consuming process looks whether to refresh its entry (a local check, no Redis command). */
const TICK_MS = 2_500;
/** A busy worker (messages held or started since its last beat) beats at most this often... */
const BUSY_BEAT_MS = 10_000;
/** ...an idle one only this often (idle workers stay cheap: two script calls a minute). */
const IDLE_BEAT_MS = 30_000;
/** Entries older than this are left out by readers and removed by the next heartbeat of any worker. */
export const WORKER_STALE_MS = 75_000;

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
  /** Bucket upper bounds (ms) of `waitCounts` (the last bucket is unbounded). */
  waitBucketsMs: readonly number[];
  /** Its publish-to-start times over the last minute, counted per bucket. */
  waitCounts: number[];
}

/**
 * One consuming process's entry in its queue's worker registry (one small script call, off the
 * message path), removed on close: every 10 s while it holds or starts messages, every 30 s while
 * idle, and at once (within 2.5 s) when an idle worker turns busy, so the first figures show promptly.
 * Its id is the process tag that ends this process's lease tokens, so operators can see who holds
 * each message in flight.
 */
export class WorkerHeartbeat {
  readonly id = processTag();
  private readonly wait = new WaitWindow();
  private timer?: NodeJS.Timeout;
  private startedAt = 0;
  private lastBeat = 0;
  /** Starts counted since the last beat, and whether the last beat reported an idle worker. */
  private startsSinceBeat = 0;
  private lastIdle = true;

  constructor(
    private readonly store: QueueStore,
    private readonly state: () => { concurrency: number; held: number },
    private readonly logger: QueueLogger,
  ) {}

  start(): void {
    if (this.timer) return;
    this.startedAt = Date.now();
    void this.beat();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** A handler started `waitMs` after its message was published (an array increment). */
  started(waitMs: number): void {
    this.wait.record(waitMs);
    this.startsSinceBeat++;
  }

  async stop(): Promise<void> {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.store.removeWorker(this.id).catch(() => undefined);
  }

  private tick(): void {
    const busy = this.startsSinceBeat > 0 || this.state().held > 0;
    const since = Date.now() - this.lastBeat;
    if (since >= IDLE_BEAT_MS || (busy && (this.lastIdle || since >= BUSY_BEAT_MS))) void this.beat();
  }

  private async beat(): Promise<void> {
    const { concurrency, held } = this.state();
    this.lastBeat = Date.now();
    this.lastIdle = held === 0 && this.startsSinceBeat === 0;
    this.startsSinceBeat = 0;
    const record: WorkerRecord = {
      host: hostname(),
      pid: process.pid,
      startedAt: this.startedAt,
      concurrency,
      held,
      waitBucketsMs: WAIT_BUCKETS_MS,
      waitCounts: this.wait.counts(),
    };
    try {
      await this.store.heartbeat(this.id, JSON.stringify(record), WORKER_STALE_MS);
    } catch (error) {
      // Redis outages are reported by the fetch loop; a missed beat only ages the entry
      this.logger.debug(`worker heartbeat failed: ${(error as Error).message}`);
    }
  }
}
