import { Deque } from '../util/deque';
import type { BufferFullPolicy } from './event-bus';

/** One unit of work: all handlers of one event. It must not throw (the bus isolates handler errors). */
export type PoolJob = () => Promise<void>;

export interface HandlerPoolOptions {
  /** Jobs waiting to start (seed `buffer_size`), >= 1. */
  bufferSize: number;
  /** Jobs running at once (seed `workers`), >= 1. */
  workers: number;
  policy: BufferFullPolicy;
}

interface Waiter {
  job: PoolJob;
  resolve(accepted: boolean): void;
}

/**
 * The bounded buffer between a bus's transport and its handlers: at most `workers` jobs run, at
 * most `bufferSize` wait to start. When the buffer is full, `submit` either waits for space
 * (`wait`; at most `bufferSize` producers may wait, later ones are dropped) or drops (`drop`).
 * Every drop is counted. Nothing here grows without bound.
 */
export class HandlerPool {
  private readonly queue = new Deque<PoolJob>();
  private readonly waiters = new Deque<Waiter>();
  private readonly idleListeners = new Set<() => void>();
  private readonly spaceListeners = new Set<() => void>();
  private active = 0;
  private droppedCount = 0;
  private closed = false;

  constructor(private readonly options: HandlerPoolOptions) {}

  /** Jobs running now. */
  get running(): number {
    return this.active;
  }

  /** Jobs buffered, not yet started (waiting producers not included). */
  get buffered(): number {
    return this.queue.length;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  /** Free places in the buffer (0 when full or producers are waiting). */
  get free(): number {
    if (this.waiters.length > 0) return 0;
    return Math.max(0, this.options.bufferSize - this.queue.length) + Math.max(0, this.options.workers - this.active);
  }

  /**
   * Hands a job to the pool. Resolves true once it is buffered or running, false when it was dropped
   * (buffer full under `drop`, too many waiting producers, or the pool is closed). `hold` waits like
   * `wait` without the cap on waiting producers: for a caller that bounds its own read-ahead (the
   * partition consumers of the stream bus, at most partitions x readCount entries).
   */
  submit(job: PoolJob, policy: BufferFullPolicy | 'hold' = this.options.policy): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.active < this.options.workers && this.queue.length === 0) {
      this.start(job);
      return Promise.resolve(true);
    }
    if (this.queue.length < this.options.bufferSize && this.waiters.length === 0) {
      this.queue.push(job);
      return Promise.resolve(true);
    }
    if (policy === 'hold' || (policy === 'wait' && this.waiters.length < this.options.bufferSize)) {
      return new Promise<boolean>((resolve) => this.waiters.push({ job, resolve }));
    }
    this.droppedCount++;
    return Promise.resolve(false);
  }

  /** Counts an event dropped outside the pool (kept here so `dropped` is one number). */
  countDrop(): void {
    this.droppedCount++;
  }

  /** Calls `listener` each time a job finishes while producers could be waiting (to resume reading). */
  onSpace(listener: () => void): () => void {
    this.spaceListeners.add(listener);
    return () => this.spaceListeners.delete(listener);
  }

  /** Resolves when there is room for at least one job (at once when there is). */
  waitForSpace(): Promise<void> {
    if (this.free > 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.onSpace(() => {
        if (this.free > 0 || this.closed) {
          off();
          resolve();
        }
      });
    });
  }

  /**
   * Stops accepting jobs (waiting producers get false) and waits up to `timeoutMs` for the buffer and
   * running jobs to finish. Resolves to the number of jobs still unfinished (buffered ones are discarded).
   */
  async close(timeoutMs: number): Promise<number> {
    this.closed = true;
    for (let w = this.waiters.shift(); w; w = this.waiters.shift()) {
      this.droppedCount++;
      w.resolve(false);
    }
    for (const listener of [...this.spaceListeners]) listener();
    if (this.active > 0 || this.queue.length > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        const idle = () => {
          if (this.active === 0 && this.queue.length === 0) done();
        };
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.idleListeners.add(idle);
      });
      this.idleListeners.clear();
    }
    const unfinished = this.active + this.queue.length;
    while (this.queue.shift()) {
      // discarded: never started
    }
    return unfinished;
  }

  private start(job: PoolJob): void {
    this.active++;
    let done: Promise<void>;
    try {
      done = job();
    } catch {
      done = Promise.resolve();
    }
    done.catch(() => undefined).then(() => this.finish());
  }

  private finish(): void {
    this.active--;
    const next = this.queue.shift();
    if (next) this.start(next);
    const waiter = this.waiters.shift();
    if (waiter) {
      if (this.active < this.options.workers && this.queue.length === 0) this.start(waiter.job);
      else this.queue.push(waiter.job);
      waiter.resolve(true);
    }
    for (const listener of [...this.spaceListeners]) listener();
    for (const listener of [...this.idleListeners]) listener();
  }
}
