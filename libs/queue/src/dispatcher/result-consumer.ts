import type { QueueLogger } from '../logger';
import type { RecordedError } from '../queue/queue.types';
import { parseJsonOr } from '../util/json';
import { RepeatedFailureLog } from '../util/repeat-log';
import { sleepUnlessAborted } from '../util/abort';
import { FailureBackoff, settleWithin } from '../util/retry';
import { endSpan, startConsumerSpan, tracerRegistered, withConsumerSpan } from '../tracing/trace-context';
import type { CompletedTask, FailedTask, TaskProgress } from './dispatcher';
import type { DispatcherStore, ResultEntry } from './dispatcher-store';
import { describeUrl, postWebhook, WebhookDeliveryError, WebhookOptions } from './webhook';

type Callback<T> = (task: T) => void | Promise<void>;

/** Entries one read asks for. */
const READ_COUNT = 100;

/**
 * Most entries read and not yet acknowledged at once (being delivered, waiting behind an earlier
 * entry of their task, or waiting for their XACK): reading waits for room beyond it.
 */
export const MAX_RESULTS_IN_FLIGHT = 10 * READ_COUNT;

/** How long `close` waits for the deliveries in flight by default: 10 s, as the queue's `close` waits for its handlers. */
export const DEFAULT_RESULTS_DRAIN_MS = 10_000;

/** How long `close` waits, past the drain time, for the aborted webhook requests to end (they end at once). */
const ABORT_SETTLE_MS = 1000;

/**
 * Reads this service's results (written once per task by whichever process ran it), calls the
 * `onCompleted` / `onFailed` / `onProgress` callbacks and POSTs webhooks, and acknowledges each
 * entry as soon as its own deliveries finished. Reading goes on while earlier entries are still
 * delivered (at most {@link MAX_RESULTS_IN_FLIGHT} at once), so a slow webhook or callback holds
 * back only the later entries of its own task: the entries of one task are delivered one after the
 * other in stream order, those of different tasks concurrently. Entries still delivered are renewed
 * (`store.renew`) so that no peer takes them over. An entry read by an instance that died before
 * acknowledging is taken over by another instance of the service; so is one whose delivery had not
 * finished when `close` gave up waiting for it (see {@link ResultConsumer.close}).
 */
export class ResultConsumer {
  private readonly completed = new Map<string, Array<Callback<CompletedTask>>>();
  private readonly failed = new Map<string, Array<Callback<FailedTask>>>();
  private readonly progressed = new Map<string, Array<Callback<TaskProgress>>>();
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
  /**
   * Fired by close when the drain time is over: the webhook requests still running are aborted, and
   * nothing more is delivered or acknowledged (what is left stays pending for another instance).
   */
  private readonly abandoned = new AbortController();
  private closing?: Promise<void>;
  /** Webhook deliveries running (awaited, once aborted, before close returns). */
  private readonly webhooks = new Set<Promise<unknown>>();
  /** User callbacks running (they cannot be aborted). */
  private callbacksRunning = 0;
  /** Entries whose XACK failed at close (left pending). */
  private unackedAtClose = 0;
  private renewTimer?: NodeJS.Timeout;
  private renewing = false;

  constructor(
    private readonly store: DispatcherStore,
    private readonly logger: QueueLogger,
    private readonly webhook: WebhookOptions,
    private readonly blockMs: number,
  ) {}

  onCompleted(type: string, cb: Callback<CompletedTask>): void {
    this.completed.set(type, [...(this.completed.get(type) ?? []), cb]);
    this.start();
  }

  onFailed(type: string, cb: Callback<FailedTask>): void {
    this.failed.set(type, [...(this.failed.get(type) ?? []), cb]);
    this.start();
  }

  onProgress(type: string, cb: Callback<TaskProgress>): void {
    this.progressed.set(type, [...(this.progressed.get(type) ?? []), cb]);
    this.start();
  }

  /** Whether a dispatch of `type` asks for progress reports (an `onProgress` callback for it or `'*'`). */
  wantsProgress(type: string): boolean {
    return this.progressed.has(type) || this.progressed.has('*');
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
    const callbacks = this.callbacksRunning;
    const webhooks = this.webhooks.size;
    this.abandoned.abort(new Error(`the dispatcher closed before the delivery finished (drain time of ${drainTimeoutMs} ms over)`));
    await settleWithin(Promise.allSettled(this.webhooks), ABORT_SETTLE_MS);
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
    const deliver = () => (this.gaveUp() ? undefined : this.deliverTraced(entry));
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
    return this.abandoned.signal.aborted;
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

  private async deliver(entry: ResultEntry): Promise<void> {
    const value = parseJsonOr<unknown, null>(entry.valueJson, null);
    const base = { taskId: entry.taskId, type: entry.type, attempts: entry.attempts, finishedAt: entry.finishedAt };
    const calls: Array<Promise<unknown>> = [];
    if (entry.progress) {
      const report: TaskProgress = { taskId: entry.taskId, type: entry.type, progress: value, attempt: entry.attempts, at: entry.finishedAt };
      for (const cb of [...(this.progressed.get(entry.type) ?? []), ...(this.progressed.get('*') ?? [])]) calls.push(this.call(cb, report));
      await Promise.all(calls);
      return;
    }
    if (entry.ok) {
      const task: CompletedTask = { ...base, result: value };
      for (const cb of [...(this.completed.get(entry.type) ?? []), ...(this.completed.get('*') ?? [])]) calls.push(this.call(cb, task));
    } else {
      const task: FailedTask = { ...base, error: value as RecordedError };
      for (const cb of [...(this.failed.get(entry.type) ?? []), ...(this.failed.get('*') ?? [])]) calls.push(this.call(cb, task));
    }
    if (entry.webhookUrl) {
      const url = entry.webhookUrl;
      const body = { ...base, state: entry.ok ? 'completed' : 'failed', ...(entry.ok ? { result: value } : { error: value }) };
      // the task id is the delivery id (`webhook-id`): the same for every try and redelivery of this outcome
      const post = postWebhook(url, entry.taskId, body, this.webhook, this.abandoned.signal).catch((error: Error) => {
        if (this.gaveUp()) throw error; // aborted at close: not delivered, the entry stays pending
        const tries = error instanceof WebhookDeliveryError ? error.tries : this.webhook.attempts;
        this.logger.error(`webhook ${describeUrl(url)} for task ${entry.taskId} failed after ${tries} ${tries === 1 ? 'try' : 'tries'}: ${error.message}`);
      });
      this.webhooks.add(post);
      void post.then(
        () => this.webhooks.delete(post),
        () => this.webhooks.delete(post),
      );
      calls.push(post);
    }
    await Promise.all(calls);
  }

  /** Delivers one entry in a CONSUMER span, child of the handler's span when the entry carries its context (docs/tracing.md). */
  private async deliverTraced(entry: ResultEntry): Promise<void> {
    if (entry.progress || (!entry.traceparent && !tracerRegistered())) return this.deliver(entry);
    const consumer = startConsumerSpan(entry.traceparent ? { traceparent: entry.traceparent, tracestate: entry.tracestate } : undefined, () => ({
      name: `result ${entry.type}`,
      attributes: {
        'messaging.system': 'meeting-dispatcher',
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'result',
        'messaging.message.id': entry.taskId,
        'messaging.meeting_dispatcher.outcome': entry.ok ? 'completed' : 'failed',
      },
    }));
    try {
      await withConsumerSpan(consumer, () => this.deliver(entry));
    } finally {
      if (consumer) endSpan(consumer.span);
    }
  }

  private async call<T>(cb: Callback<T>, task: T): Promise<void> {
    this.callbacksRunning++;
    try {
      await cb(task);
    } catch (error) {
      const kind = (task as { progress?: unknown }).progress !== undefined ? 'progress' : 'result';
      this.logger.error(`${kind} callback failed for task ${(task as { taskId: string }).taskId}: ${(error as Error).message}`);
    } finally {
      this.callbacksRunning--;
    }
  }
}

/** `1 entry`, `3 entries`. */
function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
