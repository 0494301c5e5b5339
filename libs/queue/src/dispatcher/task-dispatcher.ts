import { activeTraceCarrier } from '../tracing/trace-context';
import { InvalidOptionError, LeaseLostError, NonRetryableError, QueueClosedError } from '../errors';
import { loggerFor, QueueLogger } from '../logger';
import { ProgressThrottle, progressJson } from '../queue/progress-reporter';
import type { HandlerContext, MessageStatus, QueueMessage, RecordedError, TaskQueue } from '../queue/queue.types';
import { untilAborted } from '../util/abort';
import { isNonRetryable, recordError } from '../util/error-record';
import { parseJsonOr } from '../util/json';
import { RepeatedFailureLog } from '../util/repeat-log';
import { FailureBackoff, retryBriefly, sleep } from '../util/retry';
import { asEnvelope, parseTaskId, prepareDispatch, PreparedDispatch, taskIdOf, TaskEnvelope } from './dispatch-prepare';
import type {
  BatchItem,
  CompletedTask,
  DispatchAndWaitOptions,
  DispatchHandler,
  DispatchHandlerContext,
  DispatchOptions,
  Dispatcher,
  FailedTask,
  RoutingTable,
  TaskProgress,
  TaskState,
  TaskStatus,
} from './dispatcher';
import { DispatchTimeoutError, RemoteTaskError } from './dispatcher-errors';
import type { DispatcherStore, Reply } from './dispatcher-store';
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
  /** Queues whose task ids `getStatus` answers for (routes' queues, local queue, given queues). */
  knowsQueue(name: string): boolean;
  closeOwnedQueues(): Promise<void>;
  /** Default: a console logger. */
  logger?: QueueLogger;
}

interface Waiter {
  type: string;
  onProgress?: (progress: TaskProgress) => void;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** The {@link Dispatcher} over any {@link DispatcherStore}. */
export class TaskDispatcher implements Dispatcher {
  private readonly logger: QueueLogger;
  private readonly results: ResultConsumer;
  private readonly waiters = new Map<string, Waiter>();
  /** Replies read before their caller learnt the task id from its publish (rare race), kept a while. */
  private readonly early = new Map<string, { reply: Reply; at: number }>();
  /** Progress reports read before their caller learnt the task id (the handler ran before the publish answered), kept a while. */
  private readonly earlyProgress = new Map<string, { reports: Reply[]; at: number }>();
  private replyLoop?: Promise<void>;
  private closing?: Promise<void>;

  constructor(
    private readonly store: DispatcherStore,
    private readonly settings: TaskDispatcherSettings,
  ) {
    this.logger = loggerFor(`Dispatcher:${settings.service}`, settings.logger);
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
    const { timeoutMs = this.settings.replyTimeoutMs, taskTimeoutMs, onProgress, ...rest } = options ?? {};
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new InvalidOptionError('dispatchAndWait.options.timeoutMs', timeoutMs, 'an integer >= 1');
    if (onProgress !== undefined && typeof onProgress !== 'function')
      throw new InvalidOptionError('dispatchAndWait.options.onProgress', onProgress, 'a function');
    const prepared = this.prepare(
      'dispatchAndWait',
      type,
      payload,
      { ...rest, ...(taskTimeoutMs === undefined ? {} : { timeoutMs: taskTimeoutMs }) },
      this.store.replyAddress,
      onProgress ? 2 : 0,
    );
    this.startReplies();
    const [taskId] = await this.publish([prepared]);
    const reply = new Promise<R>((resolve, reject) => {
      this.waiters.set(taskId, { type, onProgress, resolve: resolve as (v: unknown) => void, reject });
      const reports = this.earlyProgress.get(taskId);
      this.earlyProgress.delete(taskId);
      for (const report of reports?.reports ?? []) this.deliverReply(report);
      const early = this.early.get(taskId);
      if (early) this.deliverReply(early.reply);
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        if (!this.waiters.delete(taskId)) return;
        const queue = this.settings.resolveQueue(prepared.queue);
        void queue
          .cancel(parseTaskId(taskId)!.messageId)
          .catch(() => false)
          .then((cancelled) => reject(new DispatchTimeoutError(taskId, type, timeoutMs, cancelled)));
      }, timeoutMs);
    });
    try {
      return await Promise.race([reply, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  handle<P = unknown, R = unknown>(type: string, handler: DispatchHandler<P, R>, options: { concurrency?: number; timeoutMs?: number } = {}): void {
    if (this.closing) throw new QueueClosedError(`dispatcher ${this.service}`);
    if (typeof handler !== 'function') throw new InvalidOptionError('handle.handler', handler, 'a function');
    const queue = this.settings.resolveQueue(this.settings.localQueue);
    queue.process(
      type,
      (message, ctx) => {
        const envelope = asEnvelope(message.payload);
        const taskId = envelope?.t ?? taskIdOf(queue.name, message.id);
        // progress is passed on to the origin only when it asked (envelope flag); otherwise it is the queue's ctx.progress
        const forward = envelope?.g ? this.progressForwarder(message, envelope, taskId, ctx) : undefined;
        const context: DispatchHandlerContext = {
          attempt: ctx.attempt,
          get signal() {
            return ctx.signal;
          },
          get progress() {
            return forward ? forward.progress : ctx.progress;
          },
          extendLease: (ms?: number) => ctx.extendLease(ms),
          taskId,
          origin: envelope?.o ?? this.service,
          message,
        };
        if (!envelope) return handler(message.payload as P, context); // published straight to the queue: nothing to report
        return this.runTracked(message, envelope, taskId, () => handler(envelope.p as P, context), ctx.signal, forward?.stop);
      },
      options,
    );
  }

  onCompleted<R = unknown>(type: string, callback: (task: CompletedTask<R>) => void | Promise<void>): void {
    this.checkCallback('onCompleted', type, callback);
    this.results.onCompleted(type, callback as (task: CompletedTask) => void);
  }

  onFailed(type: string, callback: (task: FailedTask) => void | Promise<void>): void {
    this.checkCallback('onFailed', type, callback);
    this.results.onFailed(type, callback);
  }

  onProgress<T = unknown>(type: string, callback: (progress: TaskProgress<T>) => void | Promise<void>): void {
    this.checkCallback('onProgress', type, callback);
    this.results.onProgress(type, callback as (progress: TaskProgress) => void);
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
    const id = parseTaskId(taskId);
    if (!id || !this.settings.knowsQueue(id.queue)) return null;
    const q = await this.settings.resolveQueue(id.queue).getStatus(id.messageId);
    return q ? toTaskStatus(taskId, id.queue, q) : null;
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

  private prepare(path: string, type: string, payload: unknown, options: DispatchOptions | undefined, replyTo?: string, progress = 0): PreparedDispatch {
    if (this.closing) throw new QueueClosedError(`dispatcher ${this.service}`);
    const s = this.settings;
    // progress is asked for only when someone listens: bit 1 an onProgress callback of this service, bit 2 the waiting caller
    const wants = (typeof type === 'string' && this.results.wantsProgress(type) ? 1 : 0) | progress;
    return prepareDispatch(path, type, payload, options, {
      service: s.service,
      routes: s.routes,
      routingEnabled: s.routingEnabled,
      localQueue: s.localQueue,
      replyTo,
      progress: wants,
    });
  }

  /**
   * `ctx.progress` of a dispatched task whose origin asked for progress: the queue records it (and
   * checks the value) as for any handler, and the value goes to the origin too, throttled the same
   * way (at most one write per 100 ms, the newest value). Nothing is passed on once the delivery's
   * signal fired (lease lost, timeout) nor after the handler returned (`stop`).
   */
  private progressForwarder(
    message: QueueMessage,
    env: TaskEnvelope,
    taskId: string,
    ctx: HandlerContext,
  ): { progress: (value: unknown) => Promise<void>; stop: () => void } {
    const g = env.g ?? 0;
    const throttle = new ProgressThrottle(async (valueJson) => {
      if (ctx.signal.aborted) return;
      try {
        await this.store.progress({
          origin: env.o,
          taskId,
          type: message.type,
          valueJson,
          attempt: message.attempt,
          toResults: (g & 1) !== 0,
          replyTo: (g & 2) !== 0 ? env.r : undefined,
        });
      } catch (error) {
        this.logger.warn(`progress of task ${taskId} could not be passed to ${env.o}: ${(error as Error).message}`);
      }
    });
    return {
      progress: (value: unknown) => {
        const stored = ctx.progress(value); // checks the value (throws) and records it in the queue
        return Promise.all([stored, throttle.report(progressJson(value))]).then(() => undefined);
      },
      stop: () => throttle.stop(),
    };
  }

  /**
   * Publishes (one publishBatch per target queue, all issued at once): the only write of a
   * dispatch, so a failed publish leaves nothing behind and a task id always names a message.
   */
  private async publish(prepared: PreparedDispatch[]): Promise<string[]> {
    if (prepared.length === 0) return [];
    const byQueue = new Map<string, number[]>();
    prepared.forEach((p, i) => byQueue.set(p.queue, [...(byQueue.get(p.queue) ?? []), i]));
    const taskIds: string[] = new Array(prepared.length);
    await Promise.all(
      [...byQueue].map(async ([queueName, indexes]) => {
        const ids = await this.settings.resolveQueue(queueName).publishBatch(indexes.map((i) => prepared[i].publish));
        indexes.forEach((index, j) => (taskIds[index] = taskIdOf(queueName, ids[j])));
      }),
    );
    if (prepared.some((p) => (p.publish.payload as TaskEnvelope).h)) this.results.start();
    return taskIds;
  }

  /**
   * Runs a dispatched task's handler and writes its final outcome to the origin (results entry,
   * reply). The dispatcher has no timer of its own: the queue's run has the one time limit, and
   * its AbortSignal (timeout) ends the attempt here too, even when the handler ignores it.
   */
  private async runTracked(
    message: QueueMessage,
    env: TaskEnvelope,
    taskId: string,
    run: () => unknown,
    signal: AbortSignal,
    stopProgress?: () => void,
  ): Promise<unknown> {
    // the handler's span (the queue's consumer span) becomes the parent of the origin's callback span
    const base = { origin: env.o, taskId, type: message.type, attempts: message.attempt, replyTo: env.r, webhookUrl: env.h, ...activeTraceCarrier() };
    let result: unknown;
    let resultJson: string;
    try {
      try {
        result = await untilAborted(Promise.resolve().then(run), signal);
      } finally {
        stopProgress?.(); // no progress report after the attempt ended (the outcome follows)
      }
      resultJson = resultToJson(result, taskId, message.type);
    } catch (error) {
      if (error instanceof LeaseLostError || error instanceof QueueClosedError) throw error; // delivered again: not an outcome
      const final = isNonRetryable(error) || message.attempt > message.maxRetries;
      if (final) await retryBriefly(() => this.store.finish({ ...base, ok: false, valueJson: JSON.stringify(recordError(error, { stack: false })) }));
      throw error;
    }
    await retryBriefly(() => this.store.finish({ ...base, ok: true, valueJson: resultJson }));
    return result;
  }

  private startReplies(): void {
    if (this.replyLoop || this.closing) return;
    this.replyLoop = (async () => {
      const backoff = new FailureBackoff(50);
      const failures = new RepeatedFailureLog(
        (line) => this.logger.error(line),
        (line) => this.logger.log(line),
        'reading replies',
      );
      while (!this.closing) {
        try {
          const replies = await this.store.readReplies(this.settings.blockMs, this.waiters.size > 1);
          backoff.succeeded();
          failures.succeeded();
          for (const r of replies) this.deliverReply(r);
        } catch (error) {
          if (this.closing) break;
          const pause = backoff.failed();
          const message = (error as Error).message;
          failures.failed(message, `reading replies failed (retrying in ${pause} ms, repeats not logged): ${message}`);
          await sleep(pause);
        }
      }
    })();
  }

  private deliverReply(r: Reply): void {
    const waiter = this.waiters.get(r.taskId);
    if (r.progress) {
      // a progress report: the wait goes on. One for no waiter may have beaten the publish's answer: kept a minute (at most 100 per task)
      if (!waiter) {
        const now = Date.now();
        for (const [id, e] of this.earlyProgress) if (e.at < now - 60_000 || this.earlyProgress.size > 1000) this.earlyProgress.delete(id);
        const kept = this.earlyProgress.get(r.taskId) ?? { reports: [], at: now };
        if (kept.reports.length < 100) kept.reports.push(r);
        this.earlyProgress.set(r.taskId, kept);
        return;
      }
      if (!waiter.onProgress) return;
      const report: TaskProgress = {
        taskId: r.taskId,
        type: waiter.type,
        progress: parseJsonOr(r.valueJson, r.valueJson),
        attempt: r.attempt ?? 1,
        at: Date.now(),
      };
      try {
        waiter.onProgress(report);
      } catch (error) {
        this.logger.error(`progress callback failed for task ${r.taskId}: ${(error as Error).message}`);
      }
      return;
    }
    if (!waiter) {
      // the reply beat the publish's answer to this process, or its caller gave up: keep it a minute
      const now = Date.now();
      for (const [id, e] of this.early) if (e.at < now - 60_000 || this.early.size > 1000) this.early.delete(id);
      this.early.set(r.taskId, { reply: r, at: now });
      return;
    }
    this.waiters.delete(r.taskId);
    this.early.delete(r.taskId);
    const value = parseJsonOr(r.valueJson, r.valueJson);
    if (r.ok) waiter.resolve(value);
    else waiter.reject(new RemoteTaskError(r.taskId, waiter.type, value as RecordedError));
  }

  private checkCallback(path: string, type: string, callback: unknown): void {
    if (typeof type !== 'string' || type.length === 0) throw new InvalidOptionError(`${path}.type`, type, "a task type or '*'");
    if (typeof callback !== 'function') throw new InvalidOptionError(`${path}.callback`, callback, 'a function');
  }
}

const STATES: Record<MessageStatus['state'], TaskState> = {
  pending: 'pending',
  delayed: 'pending',
  processing: 'processing',
  retrying: 'retrying',
  completed: 'completed',
  dead: 'failed',
};

/** The queue message's status in task terms. */
function toTaskStatus(taskId: string, queue: string, q: MessageStatus): TaskStatus {
  const status: TaskStatus = {
    taskId,
    state: STATES[q.state],
    type: q.type,
    queue,
    messageId: q.id,
    attempts: q.attempts,
    createdAt: q.createdAt,
    finishedAt: q.finishedAt,
    result: q.result,
    error: q.error,
    progress: q.progress,
    progressAt: q.progressAt,
  };
  if (q.nextAt !== undefined && (q.state === 'delayed' || q.state === 'retrying')) status.nextAt = q.nextAt;
  for (const k of Object.keys(status) as Array<keyof TaskStatus>) if (status[k] === undefined) delete status[k];
  return status;
}

/**
 * The JSON of a handler's result. A result JSON cannot hold (a BigInt, a circular object) fails the
 * task at once with {@link NonRetryableError} naming the task (running it again gives the same
 * result): the origin gets it as the failure, the message is dead-lettered with the reason.
 */
function resultToJson(result: unknown, taskId: string, type: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(result === undefined ? null : result);
  } catch (error) {
    throw new NonRetryableError(`result of task ${taskId} (${type}) is not JSON-serialisable: ${(error as Error).message.split('\n')[0]}`);
  }
  if (json === undefined) throw new NonRetryableError(`result of task ${taskId} (${type}) is not JSON-serialisable (${typeof result})`);
  return json;
}
