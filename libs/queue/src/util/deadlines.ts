import { Deque } from './deque';

interface Pending {
  readonly started: number;
  settled: boolean;
  readonly expire: (waitedMs: number) => void;
}

/**
 * Bounds many calls with one timer: `bound(promise, onTimeout)` settles like `promise`, or rejects
 * with `onTimeout(waitedMs)` once `timeoutMs` has passed. Every call has the same bound, so the
 * deadlines come in order and one timer for the oldest pending call is enough (no timer per call:
 * publish stays cheap). When the last pending call settles the timer is not cleared but unref'd
 * (it never keeps the process alive while nothing is pending): calls one after the other reuse it
 * instead of setting and clearing a timer each; firing with nothing pending, it simply stops.
 */
export class Deadlines {
  private readonly pending = new Deque<Pending>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly timeoutMs: number) {}

  bound<T>(promise: Promise<T>, onTimeout: (waitedMs: number) => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { started: performance.now(), settled: false, expire: (waitedMs) => reject(onTimeout(waitedMs)) };
      this.pending.push(entry);
      const settle = () => {
        entry.settled = true;
        if (this.pending.peek() === entry) this.prune();
      };
      promise.then(
        (value) => {
          settle();
          resolve(value);
        },
        (error: unknown) => {
          settle();
          reject(error);
        },
      );
      if (!this.timer) this.timer = this.arm();
      else if (!this.timer.hasRef()) this.timer.ref();
    });
  }

  /** Calls pending now (for tests and stats). */
  get size(): number {
    let n = 0;
    for (const p of this.pending) if (!p.settled) n++;
    return n;
  }

  /** Drops settled calls at the head; when nothing is pending the timer stays armed, unref'd. */
  private prune(): void {
    while (this.pending.peek()?.settled) this.pending.shift();
    if (this.pending.length === 0) this.timer?.unref();
  }

  private arm(): NodeJS.Timeout | undefined {
    const head = this.pending.peek();
    if (!head) return undefined;
    const wait = Math.max(0, Math.ceil(head.started + this.timeoutMs - performance.now()));
    return setTimeout(() => this.expireDue(), wait);
  }

  private expireDue(): void {
    this.timer = undefined;
    const now = performance.now();
    for (let head = this.pending.peek(); head; head = this.pending.peek()) {
      if (!head.settled) {
        const waited = now - head.started;
        if (waited < this.timeoutMs) break;
        head.settled = true;
        head.expire(Math.ceil(waited));
      }
      this.pending.shift();
    }
    this.timer = this.arm();
  }
}
