import { hostname } from 'os';
import type { QueueLogger } from '../logger';
import { processTag } from '../util/unique-id';
import type { QueueStore } from './queue-store';
import { WAIT_BUCKETS_MS, WaitWindow } from './wait-window';

/** How often a consuming process refreshes its entry in the queue's worker registry. */
export const HEARTBEAT_MS = 5_000;
/** Entries older than this are left out by readers and removed by the next heartbeat of any worker. */
export const WORKER_STALE_MS = 30_000;

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
 * One consuming process's entry in its queue's worker registry: a record every {@link HEARTBEAT_MS}
 * (one small script call, off the message path), removed on close. Its id is the process tag that
 * ends this process's lease tokens, so operators can see who holds each message in flight.
 */
export class WorkerHeartbeat {
  readonly id = processTag();
  private readonly wait = new WaitWindow();
  private timer?: NodeJS.Timeout;
  private startedAt = 0;

  constructor(
    private readonly store: QueueStore,
    private readonly state: () => { concurrency: number; held: number },
    private readonly logger: QueueLogger,
  ) {}

  start(): void {
    if (this.timer) return;
    this.startedAt = Date.now();
    void this.beat();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.timer.unref();
  }

  /** A handler started `waitMs` after its message was published (an array increment). */
  started(waitMs: number): void {
    this.wait.record(waitMs);
  }

  async stop(): Promise<void> {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.store.removeWorker(this.id).catch(() => undefined);
  }

  private async beat(): Promise<void> {
    const { concurrency, held } = this.state();
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
