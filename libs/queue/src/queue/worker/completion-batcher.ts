import type { Completion, DeliveryRef } from '../queue-store';

/**
 * Collects acknowledgements and sends them in batches: everything completed in the same turn of
 * the event loop goes in one call. A failed send (Redis down) is retried every 500 ms; until it
 * succeeds the messages stay leased, so at worst they are delivered again (at-least-once).
 */
export class CompletionBatcher {
  private pending: Completion[] = [];
  private scheduled = false;
  private inFlight = 0;
  private retryTimer?: NodeJS.Timeout;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly send: (batch: Completion[]) => Promise<DeliveryRef[]>,
    private readonly onStale: (stale: DeliveryRef[]) => void,
    private readonly onError: (error: unknown) => void,
    private readonly maxBatch = 1000,
  ) {}

  add(item: Completion): void {
    this.pending.push(item);
    if (!this.scheduled && !this.retryTimer) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Resolves once everything added so far was sent, or after `timeoutMs` (then returns how many are unsent). */
  async drain(timeoutMs: number): Promise<number> {
    if (this.pending.length > 0 && !this.scheduled && !this.retryTimer) this.flush();
    if (this.pending.length > 0 || this.inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        timer = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(timer);
    }
    if (this.retryTimer && this.pending.length === 0) clearTimeout(this.retryTimer);
    return this.pending.length;
  }

  /** Stops retrying (after close gave up); returns the unsent items. */
  abandon(): Completion[] {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    return this.pending.splice(0);
  }

  private flush(): void {
    this.scheduled = false;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      this.inFlight++;
      this.send(batch).then(
        (stale) => {
          if (stale.length > 0) this.onStale(stale);
          this.finished();
        },
        (error) => {
          this.onError(error);
          this.pending.unshift(...batch);
          this.retryTimer ??= setTimeout(() => {
            this.retryTimer = undefined;
            this.flush();
          }, 500);
          this.finished();
        },
      );
    }
  }

  private finished(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.pending.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
