import type { QueueLogger } from '../logger';
import type { RecordedError } from '../queue/queue.types';
import { parseJsonOr } from '../util/json';
import { settleWithin } from '../util/retry';
import { endSpan, startConsumerSpan, tracerRegistered, withConsumerSpan } from '../tracing/trace-context';
import type { CompletedTask, FailedTask, TaskProgress } from './dispatcher';
import type { ResultEntry } from './dispatcher-store';
import { describeUrl, postWebhook, WebhookDeliveryError, WebhookOptions } from './webhook';

/** A user callback for one task outcome or progress report (`onCompleted`, `onFailed`, `onProgress`). */
export type ResultCallback<T> = (task: T) => void | Promise<void>;

/** How long `abort` waits for the aborted webhook requests to end (they end at once). */
const ABORT_SETTLE_MS = 1000;

/**
 * Delivers one results entry: calls the `onCompleted` / `onFailed` / `onProgress` callbacks
 * registered for its task type (and for `'*'`) and POSTs its webhook, in a CONSUMER span when
 * tracing is on. A callback that throws, or a webhook that fails after its tries, is logged and
 * counts as delivered. Knows what is running (callbacks, webhook requests) so that
 * `ResultConsumer.close` can {@link ResultDelivery.abort | abort} it past its drain time: the
 * webhook requests are aborted then, and such an entry's delivery rejects (not delivered).
 */
export class ResultDelivery {
  private readonly completed = new Map<string, Array<ResultCallback<CompletedTask>>>();
  private readonly failed = new Map<string, Array<ResultCallback<FailedTask>>>();
  private readonly progressed = new Map<string, Array<ResultCallback<TaskProgress>>>();
  /**
   * Fired by `abort` (the consumer's close, when the drain time is over): the webhook requests still
   * running are aborted.
   */
  private readonly abandoned = new AbortController();
  /** Webhook deliveries running (awaited, once aborted, by `abort`). */
  private readonly webhooks = new Set<Promise<unknown>>();
  /** User callbacks running (they cannot be aborted). */
  private callbacksRunning = 0;

  constructor(
    private readonly logger: QueueLogger,
    private readonly webhook: WebhookOptions,
  ) {}

  onCompleted(type: string, cb: ResultCallback<CompletedTask>): void {
    this.completed.set(type, [...(this.completed.get(type) ?? []), cb]);
  }

  onFailed(type: string, cb: ResultCallback<FailedTask>): void {
    this.failed.set(type, [...(this.failed.get(type) ?? []), cb]);
  }

  onProgress(type: string, cb: ResultCallback<TaskProgress>): void {
    this.progressed.set(type, [...(this.progressed.get(type) ?? []), cb]);
  }

  /** Whether a dispatch of `type` asks for progress reports (an `onProgress` callback for it or `'*'`). */
  wantsProgress(type: string): boolean {
    return this.progressed.has(type) || this.progressed.has('*');
  }

  /** Whether `abort` was called (nothing more is to be delivered). */
  get aborted(): boolean {
    return this.abandoned.signal.aborted;
  }

  /** What is running now: user callbacks and webhook requests. */
  running(): { callbacks: number; webhooks: number } {
    return { callbacks: this.callbacksRunning, webhooks: this.webhooks.size };
  }

  /**
   * Aborts the webhook requests still running (their deliveries reject with `reason`) and waits a
   * little for them to end; the callbacks still running are no longer waited for.
   */
  async abort(reason: Error): Promise<void> {
    this.abandoned.abort(reason);
    await settleWithin(Promise.allSettled(this.webhooks), ABORT_SETTLE_MS);
  }

  /** Delivers one entry in a CONSUMER span, child of the handler's span when the entry carries its context (docs/tracing.md). */
  async deliver(entry: ResultEntry): Promise<void> {
    if (entry.progress || (!entry.traceparent && !tracerRegistered())) return this.deliverUntraced(entry);
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
      await withConsumerSpan(consumer, () => this.deliverUntraced(entry));
    } finally {
      if (consumer) endSpan(consumer.span);
    }
  }

  private async deliverUntraced(entry: ResultEntry): Promise<void> {
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
        if (this.aborted) throw error; // aborted at close: not delivered, the entry stays pending
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

  private async call<T>(cb: ResultCallback<T>, task: T): Promise<void> {
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
