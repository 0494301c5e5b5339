import type { QueueLogger } from '../logger';
import type { RecordedError } from '../queue/queue.types';
import { parseJsonOr } from '../util/json';
import { RepeatedFailureLog } from '../util/repeat-log';
import { sleepUnlessAborted } from '../util/abort';
import { FailureBackoff, sleep } from '../util/retry';
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

/**
 * Reads this service's results (written once per task by whichever process ran it), calls the
 * `onCompleted` / `onFailed` / `onProgress` callbacks and POSTs webhooks, and acknowledges each
 * entry as soon as its own deliveries finished. Reading goes on while earlier entries are still
 * delivered (at most {@link MAX_RESULTS_IN_FLIGHT} at once), so a slow webhook or callback holds
 * back only the later entries of its own task: the entries of one task are delivered one after the
 * other in stream order, those of different tasks concurrently. Entries still delivered are renewed
 * (`store.renew`) so that no peer takes them over. An entry read by an instance that died before
 * acknowledging is taken over by another instance of the service.
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
    if (this.loop || this.closing()) return;
    this.loop = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.run());
  }

  /**
   * Stops reading, then waits for every entry read to be delivered and acknowledged (a hanging
   * webhook: up to its tries and timeouts). An entry whose XACK fails at close stays pending and is
   * taken over after `claimIdleMs`.
   */
  async close(): Promise<void> {
    this.closed.abort();
    this.store.interrupt();
    this.wake();
    await this.loop;
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
      while (!this.closing()) {
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
          if (this.closing()) break;
          const pause = backoff.failed();
          const message = (error as Error).message;
          failures.failed(message, `reading results failed (retrying in ${pause} ms, repeats not logged): ${message}`);
          await sleep(pause);
        }
      }
      // what was read is delivered and acknowledged before the close ends
      await Promise.all(this.tails.values());
      await this.acking;
    } finally {
      if (this.renewTimer) clearInterval(this.renewTimer);
    }
  }

  /**
   * Takes one entry read: delivered after the earlier entries of its task (at once when none is in
   * flight), then acknowledged. An entry this instance still delivers (claimed back by its own
   * XAUTOCLAIM after a failed renewal) is not delivered twice: the running delivery acknowledges it.
   */
  private accept(entry: ResultEntry): void {
    const id = entry.entryId;
    if (this.inFlight.has(id)) return;
    this.inFlight.add(id);
    if (!this.readable(entry)) {
      this.queueAck(id);
      return;
    }
    const previous = this.tails.get(entry.taskId);
    const delivery = previous ? previous.then(() => this.deliverTraced(entry)) : this.deliverTraced(entry);
    const tail = delivery.then(
      () => this.queueAck(id),
      (error: Error) => {
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
          if (this.closing()) {
            this.logger.error(`acknowledging ${ids.length} results failed at close (delivered again after claimIdleMs): ${message}`);
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

  private closing(): boolean {
    return this.closed.signal.aborted;
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
      calls.push(
        postWebhook(url, entry.taskId, body, this.webhook).catch((error: Error) => {
          const tries = error instanceof WebhookDeliveryError ? error.tries : this.webhook.attempts;
          this.logger.error(`webhook ${describeUrl(url)} for task ${entry.taskId} failed after ${tries} ${tries === 1 ? 'try' : 'tries'}: ${error.message}`);
        }),
      );
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
    try {
      await cb(task);
    } catch (error) {
      const kind = (task as { progress?: unknown }).progress !== undefined ? 'progress' : 'result';
      this.logger.error(`${kind} callback failed for task ${(task as { taskId: string }).taskId}: ${(error as Error).message}`);
    }
  }
}
