import { QueueError } from '../errors';
import { settleWithin } from '../util/retry';

/** An `@OnEvent` / `@OnLocalEvent` delivery that arrived after the application began to close: its handler did not run. */
export class QueueDrainingError extends QueueError {
  constructor(readonly handler: string) {
    super(`${handler}: not run, the application is closing (the queue stopped taking work)`, 'QUEUE_DRAINING');
  }
}

/**
 * Lets the decorated event handlers of one QueueModule run until the application begins to close,
 * then starts none and waits for the running ones. An event that arrives after the gate closed is
 * refused with {@link QueueDrainingError} (counted as a handler error; `redis_stream` delivers it
 * again). Tasks need no gate: `QueueManager.stopWorkers` stops fetching them.
 */
export class HandlerGate {
  private readonly running = new Set<Promise<unknown>>();
  private closedAt?: number;

  /** When `close` was first called (ms since the epoch), else undefined. */
  get closedSince(): number | undefined {
    return this.closedAt;
  }

  /** Runs an event handler, or (gate closed) rejects with {@link QueueDrainingError} naming `where`. */
  event<T>(where: string, run: () => T | Promise<T>): Promise<T> {
    if (this.closedAt !== undefined) return Promise.reject(new QueueDrainingError(where));
    return this.track(run);
  }

  /** Starts no more handlers and waits up to `timeoutMs` for the running ones; resolves whether they all finished. */
  close(timeoutMs: number): Promise<boolean> {
    this.closedAt ??= Date.now();
    return settleWithin(this.idle(), timeoutMs);
  }

  private async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private track<T>(run: () => T | Promise<T>): Promise<T> {
    const call = (async () => run())();
    this.running.add(call);
    const forget = () => void this.running.delete(call);
    call.then(forget, forget);
    return call;
  }
}
