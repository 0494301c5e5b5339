import type { QueueLogger } from '../logger';
import type { RecordedError } from '../queue/queue.types';
import { parseJsonOr } from '../util/json';
import { RepeatedFailureLog } from '../util/repeat-log';
import { FailureBackoff, sleep } from '../util/retry';
import { endSpan, startConsumerSpan, tracerRegistered, withConsumerSpan } from '../tracing/trace-context';
import type { CompletedTask, FailedTask, TaskProgress } from './dispatcher';
import type { DispatcherStore, ResultEntry } from './dispatcher-store';
import { describeUrl, postWebhook, WebhookDeliveryError, WebhookOptions } from './webhook';

type Callback<T> = (task: T) => void | Promise<void>;

/**
 * Reads this service's results (written once per task by whichever process ran it), calls the
 * `onCompleted` / `onFailed` callbacks and POSTs webhooks, then acknowledges. An entry read by an
 * instance that died before acknowledging is taken over by another instance of the service.
 */
export class ResultConsumer {
  private readonly completed = new Map<string, Array<Callback<CompletedTask>>>();
  private readonly failed = new Map<string, Array<Callback<FailedTask>>>();
  private readonly progressed = new Map<string, Array<Callback<TaskProgress>>>();
  private loop?: Promise<void>;
  private closing = false;

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
    if (this.loop || this.closing) return;
    this.loop = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.run());
  }

  async close(): Promise<void> {
    this.closing = true;
    this.store.interrupt();
    await this.loop;
  }

  private async run(): Promise<void> {
    const backoff = new FailureBackoff(50);
    const failures = new RepeatedFailureLog(
      (line) => this.logger.error(line),
      (line) => this.logger.log(line),
      'reading results',
    );
    while (!this.closing) {
      try {
        const entries = await this.store.readResults(100, this.blockMs);
        backoff.succeeded();
        failures.succeeded();
        if (entries.length === 0) continue;
        await Promise.all(entries.filter((e) => this.readable(e)).map((e) => this.deliverTraced(e)));
        await this.store.ack(entries.map((e) => e.entryId));
      } catch (error) {
        if (this.closing) break;
        const pause = backoff.failed();
        const message = (error as Error).message;
        failures.failed(message, `reading results failed (retrying in ${pause} ms, repeats not logged): ${message}`);
        await sleep(pause);
      }
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
