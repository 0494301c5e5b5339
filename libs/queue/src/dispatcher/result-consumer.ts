import type { QueueLogger } from '../logger';
import { RepeatedFailureLog } from '../util/repeat-log';
import { sleepUnlessAborted } from '../util/abort';
import { FailureBackoff, settleWithin } from '../util/retry';
import type { CompletedTask, FailedTask, TaskProgress } from './dispatcher';
import type { DispatcherStore, ResultEntry } from './dispatcher-store';
import { ResultCallback, ResultDelivery } from './result-delivery';
import type { WebhookOptions } from './webhook';

/** Entries one read asks for. */
const READ_COUNT = 100;

/**
 * Most entries read and not yet acknowledged at once (being delivered, waiting behind an earlier
 * entry of their task, or waiting for their XACK): reading waits for room beyond it.
 */
export const MAX_RESULTS_IN_FLIGHT = 10 * READ_COUNT;

/** How long `close` waits for the deliveries in flight by default: 10 s, as the queue's `close` waits for its handlers. */
export const DEFAULT_RESULTS_DRAIN_MS = 10_000;

/**
 * Reads this service's results (written once per task by whichever process ran it), calls the
 * `onCompleted` / `onFailed` / `onProgress` callbacks and POSTs webhooks, and acknowledges each
 * entry as soon as its own deliveries finished. Reading goes on while earlier entries are still
 * delivered (at most {@link MAX_RESULTS_IN_FLIGHT} at once), so a slow webhook or callback holds
 * back only the later entries of its own task: the entries of one task are delivered one after the
 * other in stream order, those of different tasks concurrently. Entries still delivered are renewed
 * (`store.renew`) so that no peer takes them over. An entry read by an instance that died before
 * acknowledging is taken over by another instance of the service; so is one whose delivery had not
 * finished when `close` gave up waiting for it (see {@link ResultConsumer.close}). Delivering one
 * entry (callbacks, webhook, tracing span) is {@link ResultDelivery}'s part.
 */
export class ResultConsumer {
  /**
   * Calls the callbacks and POSTs the webhooks of one entry. Aborted by close when the drain time is
   * over: the webhook requests still running are aborted, and nothing more is delivered or
   * acknowledged (what is left stays pending for another instance).
   */
  private readonly delivery: ResultDelivery;
  private loop?: Promise<void>;
  /** Entries read and not yet acknowledged (ids). */
  private readonly inFlight = new Set<string>();
  /** Per task id: the delivery of its latest entry read (the next entry of the task waits for it). */
  private readonly tails = new Map<string, Promise<void>>();
  /** Entries delivered, waiting for the next XACK (one per turn). */
  private toAck: string[] = [];
  private acking?: Promise<void>;
  /** Wakes the read loop waiting for room (or for the close). */
  private wakeReader?: () => void;
  /** Fired by close (reading stops; the ack loop's pause after a failure ends). */
  private readonly closed = new AbortController();
  private closing?: Promise<void>;
  /** Entries whose XACK failed at close (left pending). */
  private unackedAtClose = 0;
  private renewTimer?: NodeJS.Timeout;
  private renewing = false;

  constructor(
    private readonly store: DispatcherStore,
    private readonly logger: QueueLogger,
    webhook: WebhookOptions,
    private readonly blockMs: number,
  ) {
    this.delivery = new ResultDelivery(logger, webhook);
  }

  onCompleted(type: string, cb: ResultCallback<CompletedTask>): void {
    this.delivery.onCompleted(type, cb);
    this.start();
  }

  onFailed(type: string, cb: ResultCallback<FailedTask>): void {
    this.delivery.onFailed(type, cb);
    this.start();
  }

  onProgress(type: string, cb: ResultCallback<TaskProgress>): void {
    this.delivery.onProgress(type, cb);
    this.start();
  }

  /** Whether a dispatch of `type` asks for progress reports (an `onProgress` callback for it or `'*'`). */
  wantsProgress(type: string): boolean {
    return this.delivery.wantsProgress(type);
  }

  /** Starts reading on the next turn (callbacks registered in the same tick are all known). */
  start(): void {
    if (this.loop || this.isClosed()) return;
    this.loop = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.run());
  }

  /**
   * Stops reading, then waits up to `drainTimeoutMs` (counted from the call) for the entries read to
   * be delivered. Past it, the webhook requests still running are aborted (no further try), the user
   * callbacks still running are no longer waited for (they cannot be aborted), and the entries whose
   * delivery had not finished (with those waiting behind them) are not acknowledged: they stay
   * pending, and another instance takes them over after `claimIdleMs` (at-least-once). The entries
   * delivered are acknowledged before it resolves; one whose XACK fails at close stays pending too.
   * How many were left is logged once. Safe to call twice (the first call's drain time applies).
   */
  close(drainTimeoutMs = DEFAULT_RESULTS_DRAIN_MS): Promise<void> {
    this.closing ??= this.closeOnce(drainTimeoutMs);
    return this.closing;
  }

  private async closeOnce(drainTimeoutMs: number): Promise<void> {
    const deadline = performance.now() + drainTimeoutMs;
    this.closed.abort();
    this.store.interrupt();
    this.wake();
    try {
      const drained = (async () => {
        await this.loop;
        await Promise.all(this.tails.values());
      })();
      let gaveUp = '';
      if (!(await settleWithin(drained, Math.max(0, deadline - performance.now())))) gaveUp = await this.abandon(drainTimeoutMs);
      await this.acking;
      const left = this.inFlight.size + this.unackedAtClose;
      if (left > 0) {
        this.logger.warn(
          `closed with ${plural(left, 'results entry', 'results entries')} left pending for redelivery (another instance of the service delivers ${left === 1 ? 'it' : 'them'}; on Redis after claimIdleMs)${gaveUp}`,
        );
      }
    } finally {
      if (this.renewTimer) clearInterval(this.renewTimer);
    }
  }

  /**
   * The drain time is over: aborts the webhook requests still running (and waits for them to end)
   * and gives up on the callbacks still running; from now on nothing is delivered or acknowledged.
   * Returns what was given up, for close's log line.
   */
  private async abandon(drainTimeoutMs: number): Promise<string> {
    const { callbacks, webhooks } = this.delivery.running();
    await this.delivery.abort(new Error(`the dispatcher closed before the delivery finished (drain time of ${drainTimeoutMs} ms over)`));
    const given = [
      ...(webhooks > 0 ? [`${plural(webhooks, 'webhook request', 'webhook requests')} aborted`] : []),
      ...(callbacks > 0 ? [`${plural(callbacks, 'callback', 'callbacks')} still running no longer waited for (a callback cannot be aborted)`] : []),
    ];
    return `: not delivered within the drain time (${drainTimeoutMs} ms)${given.length > 0 ? `; ${given.join(', ')}` : ''}`;
  }

  private async run(): Promise<void> {
    const backoff = new FailureBackoff(50);
    const failures = new RepeatedFailureLog(
      (line) => this.logger.error(line),
      (line) => this.logger.log(line),
      'reading results',
    );
    const every = this.store.renewEveryMs;
    if (every && this.store.renew) {
      this.renewTimer = setInterval(() => void this.renew(), every);
      this.renewTimer.unref();
    }
    try {
      while (!this.isClosed()) {
        const room = MAX_RESULTS_IN_FLIGHT - this.inFlight.size;
        if (room <= 0) {
          await new Promise<void>((resolve) => (this.wakeReader = resolve));
          continue;
        }
        try {
          const entries = await this.store.readResults(Math.min(READ_COUNT, room), this.blockMs);
          backoff.succeeded();
          failures.succeeded();
          for (const entry of entries) this.accept(entry);
        } catch (error) {
          if (this.isClosed()) break;
          const pause = backoff.failed();
          const message = (error as Error).message;
          failures.failed(message, `reading results failed (retrying in ${pause} ms, repeats not logged): ${message}`);
          await sleepUnlessAborted(pause, this.closed.signal).catch(() => undefined);
        }
      }
    } catch (error) {
      this.logger.error(`reading results stopped: ${(error as Error).message}`);
    }
    // close delivers and acknowledges what was read (within its drain time) and stops the renewals
  }

  /**
   * Takes one entry read: delivered after the earlier entries of its task (at once when none is in
   * flight), then acknowledged. An entry this instance still delivers (claimed back by its own
   * XAUTOCLAIM after a failed renewal) is not delivered twice: the running delivery acknowledges it.
   * Once close gave up (drain time over), nothing more is delivered or acknowledged: the entry stays
   * pending (in flight, counted by close) for another instance.
   */
  private accept(entry: ResultEntry): void {
    const id = entry.entryId;
    if (this.inFlight.has(id)) return;
    this.inFlight.add(id);
    if (this.gaveUp()) return;
    if (!this.readable(entry)) {
      this.queueAck(id);
      return;
    }
    const previous = this.tails.get(entry.taskId);
    const deliver = () => (this.gaveUp() ? undefined : this.delivery.deliver(entry));
    const delivery = previous ? previous.then(deliver) : Promise.resolve(deliver());
    const tail = delivery.then(
      () => {
        if (!this.gaveUp()) this.queueAck(id);
      },
      (error: Error) => {
        if (this.gaveUp()) return; // aborted at close: left pending, counted there
        // not acknowledged: taken over after claimIdleMs, as a read entry of a crashed instance
        this.logger.error(`delivering results entry ${id} of task ${entry.taskId} failed (delivered again after claimIdleMs): ${error.message}`);
        this.release([id]);
      },
    );
    this.tails.set(entry.taskId, tail);
    void tail.then(() => {
      if (this.tails.get(entry.taskId) === tail) this.tails.delete(entry.taskId);
    });
  }

  /** Acknowledges `id` with the others delivered in the same turn (one XACK). */
  private queueAck(id: string): void {
    this.toAck.push(id);
    this.acking ??= this.ackLoop();
  }

  /**
   * XACKs what was delivered, one call per turn, until nothing is left. A failed XACK is tried again
   * after a pause (the entries stay in flight, so they are still renewed); at close it is given up:
   * the entries stay pending and are taken over after `claimIdleMs` (delivered again).
   */
  private async ackLoop(): Promise<void> {
    const backoff = new FailureBackoff(50);
    try {
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.toAck.length > 0) {
        const ids = this.toAck;
        this.toAck = [];
        try {
          await this.store.ack(ids);
          backoff.succeeded();
          this.release(ids);
        } catch (error) {
          const message = (error as Error).message;
          if (this.isClosed()) {
            this.logger.error(`acknowledging ${ids.length} results failed at close (delivered again after claimIdleMs): ${message}`);
            this.unackedAtClose += ids.length;
            this.release(ids);
            continue;
          }
          this.toAck = [...ids, ...this.toAck];
          const pause = backoff.failed();
          if (backoff.count === 1) this.logger.error(`acknowledging ${ids.length} results failed (retrying in ${pause} ms): ${message}`);
          await sleepUnlessAborted(pause, this.closed.signal).catch(() => undefined);
        }
      }
    } finally {
      // in the turn of the last check: an entry queued after it starts a new loop
      this.acking = undefined;
    }
  }

  private isClosed(): boolean {
    return this.closed.signal.aborted;
  }

  /** Whether close gave up waiting (drain time over). */
  private gaveUp(): boolean {
    return this.delivery.aborted;
  }

  private release(ids: string[]): void {
    for (const id of ids) this.inFlight.delete(id);
    this.wake();
  }

  private wake(): void {
    const wake = this.wakeReader;
    this.wakeReader = undefined;
    wake?.();
  }

  /** Keeps the entries in flight from being taken over by a peer while they are delivered (renew.lua on Redis). */
  private async renew(): Promise<void> {
    if (this.renewing || this.inFlight.size === 0 || !this.store.renew) return;
    this.renewing = true;
    try {
      await this.store.renew([...this.inFlight]);
    } catch (error) {
      this.logger.warn(
        `renewing ${this.inFlight.size} results being delivered failed (a peer may take them over after claimIdleMs): ${(error as Error).message}`,
      );
    } finally {
      this.renewing = false;
    }
  }

  /** An entry without a task id, type or value (written by something else, or damaged) is logged and acknowledged, never delivered. */
  private readable(entry: ResultEntry): boolean {
    const missing = (['taskId', 'type', 'valueJson'] as const).filter((field) => typeof entry[field] !== 'string' || entry[field] === '');
    if (missing.length === 0) return true;
    this.logger.error(`results entry ${entry.entryId} is not a task outcome (missing ${missing.join(', ')}); acknowledged without delivery`);
    return false;
  }
}

/** `1 entry`, `3 entries`. */
function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
