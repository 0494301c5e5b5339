import { Logger } from '@nestjs/common';
import { InvalidOptionError, LeaseLostError, QueueClosedError } from '../errors';
import type { QueueMessage, RecordedError, TaskQueue } from '../queue/queue.types';
import { untilAborted } from '../util/abort';
import { isNonRetryable, recordError } from '../util/error-record';
import { parseJsonOr } from '../util/json';
import { FailureBackoff, retryBriefly, sleep } from '../util/retry';
import { asEnvelope, prepareDispatch, PreparedDispatch } from './dispatch-prepare';
import type {
  BatchItem, CompletedTask, DispatchAndWaitOptions, DispatchHandler, DispatchHandlerContext, DispatchOptions, Dispatcher, FailedTask,
  RoutingTable, TaskState, TaskStatus,
} from './dispatcher';
import { DispatchTimeoutError, RemoteTaskError } from './dispatcher-errors';
import type { DispatcherStore } from './dispatcher-store';
import { ResultConsumer } from './result-consumer';
import type { WebhookOptions } from './webhook';

/** Settings of {@link TaskDispatcher}, already validated by `createDispatcher`. */
export interface TaskDispatcherSettings {
  service: string;
  routes: RoutingTable;
  routingEnabled: boolean;
  localQueue: string;
  replyTimeoutMs: number;
  /** Longest blocking read of results and replies (default 5000 ms). */
  blockMs: number;
  webhook: WebhookOptions;
  resolveQueue(name: string): TaskQueue;
  closeOwnedQueues(): Promise<void>;
}

interface Waiter {
  type: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** The {@link Dispatcher} over any {@link DispatcherStore}. */
export class TaskDispatcher implements Dispatcher {
  private readonly logger: Logger;
  private readonly results: ResultConsumer;
  private readonly waiters = new Map<string, Waiter>();
  private replyLoop?: Promise<void>;
  private closing?: Promise<void>;

  constructor(
    private readonly store: DispatcherStore,
    private readonly settings: TaskDispatcherSettings,
  ) {
    this.logger = new Logger(`Dispatcher:${settings.service}`);
    this.results = new ResultConsumer(store, this.logger, settings.webhook, settings.blockMs);
  }

  get service(): string {
    return this.settings.service;
  }

  async dispatch<P>(type: string, payload?: P, options?: DispatchOptions): Promise<string> {
    const [id] = await this.publish([this.prepare('dispatch', type, payload, options)]);
    return id;
  }

  async dispatchBatch(items: BatchItem[]): Promise<string[]> {
    if (!Array.isArray(items)) throw new InvalidOptionError('dispatchBatch', items, 'an array of { type, payload?, options? }');
    return this.publish(items.map((item, i) => this.prepare(`dispatchBatch[${i}]`, item?.type, item?.payload, item?.options)));
  }

  async dispatchAndWait<R = unknown, P = unknown>(type: string, payload?: P, options: DispatchAndWaitOptions = {}): Promise<R> {
    const { timeoutMs = this.settings.replyTimeoutMs, taskTimeoutMs, ...rest } = options ?? {};
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new InvalidOptionError('dispatchAndWait.options.timeoutMs', timeoutMs, 'an integer >= 1');
    const prepared = this.prepare('dispatchAndWait', type, payload, { ...rest, ...(taskTimeoutMs === undefined ? {} : { timeoutMs: taskTimeoutMs }) },
      this.store.replyAddress);
    this.startReplies();
    const reply = new Promise<R>((resolve, reject) => this.waiters.set(prepared.taskId, { type, resolve: resolve as (v: unknown) => void, reject }));
    let messageId: string;
    try {
      [messageId] = await this.publishPrepared([prepared]);
    } catch (error) {
      this.waiters.delete(prepared.taskId);
      throw error;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        if (!this.waiters.delete(prepared.taskId)) return;
        const queue = this.settings.resolveQueue(prepared.queue);
        void queue.cancel(messageId).catch(() => false)
          .then((cancelled) => reject(new DispatchTimeoutError(prepared.taskId, type, timeoutMs, cancelled)));
      }, timeoutMs);
    });
    try {
      return await Promise.race([reply, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  handle<P = unknown, R = unknown>(type: string, handler: DispatchHandler<P, R>, options: { concurrency?: number } = {}): void {
    if (this.closing) throw new QueueClosedError(`dispatcher ${this.service}`);
    if (typeof handler !== 'function') throw new InvalidOptionError('handle.handler', handler, 'a function');
    const queue = this.settings.resolveQueue(this.settings.localQueue);
    queue.process(type, (message, ctx) => {
      const envelope = asEnvelope(message.payload);
      const context: DispatchHandlerContext = {
        attempt: ctx.attempt,
        get signal() {
          return ctx.signal;
        },
        extendLease: (ms?: number) => ctx.extendLease(ms),
        taskId: envelope?.t ?? message.id,
        origin: envelope?.o ?? this.service,
        message,
      };
      if (!envelope) return handler(message.payload as P, context); // published straight to the queue: nothing to report
      return this.runTracked(message, envelope, () => handler(envelope.p as P, context), ctx.signal);
    }, options);
  }

  onCompleted<R = unknown>(type: string, callback: (task: CompletedTask<R>) => void | Promise<void>): void {
    this.checkCallback('onCompleted', type, callback);
    this.results.onCompleted(type, callback as (task: CompletedTask) => void);
  }

  onFailed(type: string, callback: (task: FailedTask) => void | Promise<void>): void {
    this.checkCallback('onFailed', type, callback);
    this.results.onFailed(type, callback);
  }

  /**
   * Starts reading this service's results (callbacks, webhooks) now. Done by itself by the first
   * `onCompleted` / `onFailed` and by a dispatch with a webhook; call it in a restarted process that
   * must deliver the webhooks of earlier dispatches before it dispatches again.
   */
  start(): void {
    if (!this.closing) this.results.start();
  }

  async getStatus(taskId: string): Promise<TaskStatus | null> {
    if (typeof taskId !== 'string' || taskId.length === 0) throw new InvalidOptionError('getStatus.taskId', taskId, 'a task id');
    const f = await this.store.status(taskId);
    if (!f || !f.state) return null;
    const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
    const status: TaskStatus = { taskId, state: f.state as TaskState, type: f.type, queue: f.queue, attempts: Number(f.attempts ?? 0),
      createdAt: num(f.createdAt), startedAt: num(f.startedAt), updatedAt: num(f.updatedAt), finishedAt: num(f.finishedAt), messageId: f.messageId };
    if (f.state === 'completed' && f.result !== undefined) status.result = parseJsonOr(f.result, f.result);
    if ((f.state === 'failed' || f.state === 'retrying') && f.error) status.error = parseJsonOr<RecordedError, string>(f.error, f.error) as RecordedError;
    for (const k of Object.keys(status) as Array<keyof TaskStatus>) if (status[k] === undefined) delete status[k];
    if ((status.state === 'processing' || status.state === 'retrying') && status.messageId && status.queue) await this.checkDead(status);
    return status;
  }

  /** A task whose every attempt ended by lease expiry (crashed handlers) is dead-lettered by the queue alone: report it failed. */
  private async checkDead(status: TaskStatus): Promise<void> {
    try {
      const q = await this.settings.resolveQueue(status.queue!).getStatus(status.messageId!);
      if (q?.state !== 'dead') return;
      status.state = 'failed';
      status.attempts = Math.max(status.attempts, q.attempts);
      status.error = q.error ?? { name: 'DeadLetterError', message: q.reason ?? 'dead-lettered' };
      if (q.finishedAt !== undefined) status.finishedAt = q.finishedAt;
    } catch {
      // the queue is not reachable from here (memory backend without it): keep the recorded state
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const [taskId, w] of this.waiters) w.reject(new QueueClosedError(`dispatcher ${this.service} (task ${taskId})`));
      this.waiters.clear();
      await this.results.close();
      this.store.interrupt();
      await this.replyLoop;
      await this.settings.closeOwnedQueues();
      await this.store.close();
    })();
    return this.closing;
  }

  private prepare(path: string, type: string, payload: unknown, options: DispatchOptions | undefined, replyTo?: string): PreparedDispatch {
    if (this.closing) throw new QueueClosedError(`dispatcher ${this.service}`);
    const s = this.settings;
    return prepareDispatch(path, type, payload, options, { service: s.service, routes: s.routes, routingEnabled: s.routingEnabled,
      localQueue: s.localQueue, replyTo });
  }

  private async publish(prepared: PreparedDispatch[]): Promise<string[]> {
    await this.publishPrepared(prepared);
    if (prepared.some((p) => (p.publish.payload as { h?: string }).h)) this.results.start();
    return prepared.map((p) => p.taskId);
  }

  /** Publishes (one publishBatch per target queue) and records the tasks as pending, all issued at once. */
  private async publishPrepared(prepared: PreparedDispatch[]): Promise<string[]> {
    if (prepared.length === 0) return [];
    const byQueue = new Map<string, number[]>();
    prepared.forEach((p, i) => byQueue.set(p.queue, [...(byQueue.get(p.queue) ?? []), i]));
    const messageIds: string[] = new Array(prepared.length);
    const publishes = [...byQueue].map(async ([queueName, indexes]) => {
      const queue = this.settings.resolveQueue(queueName);
      const ids = await queue.publishBatch(indexes.map((i) => prepared[i].publish));
      indexes.forEach((index, j) => (messageIds[index] = ids[j]));
    });
    // The status write never overwrites what a fast handler already wrote, so it may land after the publish.
    const init = this.store.init(prepared.map((p) => ({ taskId: p.taskId, type: p.type, queue: p.queue })));
    const [published, initialised] = await Promise.allSettled([Promise.all(publishes), init]);
    if (published.status === 'rejected') {
      await this.store.forget(prepared.map((p) => p.taskId)).catch(() => undefined);
      throw published.reason;
    }
    if (initialised.status === 'rejected') this.logger.warn(`status of ${prepared.length} dispatched tasks not recorded: ${initialised.reason?.message}`);
    return messageIds;
  }

  private async runTracked(message: QueueMessage, env: { t: string; o: string; r?: string; h?: string }, run: () => unknown, signal: AbortSignal): Promise<unknown> {
    const base = { origin: env.o, taskId: env.t, type: message.type, attempts: message.attempt, replyTo: env.r, webhookUrl: env.h };
    await this.store.started(env.o, env.t, message.attempt, message.id).catch((e: Error) => this.logger.warn(`status of ${env.t}: ${e.message}`));
    let result: unknown;
    let resultJson: string;
    try {
      result = await untilAborted(Promise.resolve().then(run), signal);
      resultJson = JSON.stringify(result === undefined ? null : result);
    } catch (error) {
      if (error instanceof LeaseLostError || error instanceof QueueClosedError) throw error; // delivered again: not an outcome
      const recorded = recordError(error, { stack: false });
      const final = isNonRetryable(error) || message.attempt > message.maxRetries;
      if (final) await retryBriefly(() => this.store.finish({ ...base, ok: false, valueJson: JSON.stringify(recorded) }));
      else await this.store.attemptFailed(env.o, env.t, message.attempt, JSON.stringify(recorded)).catch(() => undefined);
      throw error;
    }
    await retryBriefly(() => this.store.finish({ ...base, ok: true, valueJson: resultJson }));
    return result;
  }

  private startReplies(): void {
    if (this.replyLoop || this.closing) return;
    this.replyLoop = (async () => {
      const backoff = new FailureBackoff(50);
      while (!this.closing) {
        try {
          const replies = await this.store.readReplies(this.settings.blockMs);
          backoff.succeeded();
          for (const r of replies) {
            const waiter = this.waiters.get(r.taskId);
            if (!waiter) continue;
            this.waiters.delete(r.taskId);
            const value = parseJsonOr(r.valueJson, r.valueJson);
            if (r.ok) waiter.resolve(value);
            else waiter.reject(new RemoteTaskError(r.taskId, waiter.type, value as RecordedError));
          }
        } catch (error) {
          if (this.closing) break;
          const pause = backoff.failed();
          this.logger.error(`reading replies failed (retrying in ${pause} ms): ${(error as Error).message}`);
          await sleep(pause);
        }
      }
    })();
  }

  private checkCallback(path: string, type: string, callback: unknown): void {
    if (typeof type !== 'string' || type.length === 0) throw new InvalidOptionError(`${path}.type`, type, "a task type or '*'");
    if (typeof callback !== 'function') throw new InvalidOptionError(`${path}.callback`, callback, 'a function');
  }
}

