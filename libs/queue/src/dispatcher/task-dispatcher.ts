import { InvalidOptionError, QueueClosedError } from '../errors';
import { loggerFor, QueueLogger } from '../logger';
import { publishInteger } from '../queue/publish-validation';
import { QUEUE_FIELDS } from '../queue/queue-options';
import { callOptions, checkKnownKeys, checkOption, checkTaskType, knownKeys, timerMsField, withDrainTimeout } from '../util/fields';
import type { CloseOptions, MessageStatus, TaskQueue } from '../queue/queue.types';
import { dispatchContext } from './dispatch-context';
import { asEnvelope, parseTaskId, prepareDispatch, PreparedDispatch, taskIdOf, TaskEnvelope } from './dispatch-prepare';
import type {
  BatchItem,
  CompletedTask,
  DispatchAndWaitOptions,
  DispatchHandler,
  DispatchOptions,
  Dispatcher,
  FailedTask,
  RoutingTable,
  TaskProgress,
  TaskState,
  TaskStatus,
} from './dispatcher';
import { DispatchTimeoutError } from './dispatcher-errors';
import type { DispatcherStore } from './dispatcher-store';
import { ReplyRouter } from './reply-router';
import { DEFAULT_RESULTS_DRAIN_MS, ResultConsumer } from './result-consumer';
import { TaskRunner } from './task-runner';
import type { WebhookOptions } from './webhook';

/** Options of {@link Dispatcher.handle}. */
type HandleOptions = NonNullable<Parameters<Dispatcher['handle']>[2]>;
const HANDLE_KEYS = knownKeys<HandleOptions>({ concurrency: true, timeoutMs: true });
const WAIT_KEYS = knownKeys<DispatchAndWaitOptions>({
  timeoutMs: true,
  taskTimeoutMs: true,
  onProgress: true,
  priority: true,
  maxRetries: true,
  delayMs: true,
  webhookUrl: true,
  group: true,
});
const BATCH_ITEM_KEYS = knownKeys<BatchItem>({ type: true, payload: true, options: true });

/** Checks one item of `dispatchBatch`: an object of known keys; throws InvalidOptionError at `path` or `<path>.<key>`. */
function checkBatchItem(item: unknown, path: string): BatchItem {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new InvalidOptionError(path, item, 'an object { type, payload?, options? }');
  checkKnownKeys(item, BATCH_ITEM_KEYS, path, InvalidOptionError);
  return item as BatchItem;
}

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

/**
 * The {@link Dispatcher} over any {@link DispatcherStore}: dispatches (prepare and publish), status
 * and callbacks here; the waiting callers' replies in {@link ReplyRouter}, the handler side of a
 * dispatched task (progress to the origin, outcome) in {@link TaskRunner}.
 */
export class TaskDispatcher implements Dispatcher {
  private readonly logger: QueueLogger;
  private readonly results: ResultConsumer;
  private readonly replies: ReplyRouter;
  private readonly runner: TaskRunner;
  private closing?: Promise<void>;

  constructor(
    private readonly store: DispatcherStore,
    private readonly settings: TaskDispatcherSettings,
  ) {
    this.logger = loggerFor(`Dispatcher:${settings.service}`, settings.logger);
    this.results = new ResultConsumer(store, this.logger, settings.webhook, settings.blockMs);
    this.replies = new ReplyRouter(store, this.logger, settings.blockMs);
    this.runner = new TaskRunner(store, this.logger);
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
    const prepared = items.map((raw: unknown, i) => {
      const item = checkBatchItem(raw, `dispatchBatch[${i}]`);
      return this.prepare(`dispatchBatch[${i}]`, item.type, item.payload, item.options);
    });
    return this.publish(prepared);
  }

  async dispatchAndWait<R = unknown, P = unknown>(type: string, payload?: P, options?: DispatchAndWaitOptions): Promise<R> {
    const checked = callOptions(options, WAIT_KEYS, 'dispatchAndWait.options') as DispatchAndWaitOptions;
    const { timeoutMs = this.settings.replyTimeoutMs, taskTimeoutMs, onProgress, ...rest } = checked;
    checkOption(timerMsField(1), timeoutMs, 'dispatchAndWait.options.timeoutMs', InvalidOptionError);
    publishInteger('timeoutMs', taskTimeoutMs, 'dispatchAndWait.options.taskTimeoutMs');
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
    this.replies.start();
    const [taskId] = await this.publish([prepared]);
    const reply = new Promise<R>((resolve, reject) => {
      this.replies.wait(taskId, { type, onProgress, resolve: resolve as (v: unknown) => void, reject });
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        if (!this.replies.forget(taskId)) return;
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

  handle<P = unknown, R = unknown>(type: string, handler: DispatchHandler<P, R>, options?: HandleOptions): void {
    if (this.closing) throw new QueueClosedError(`dispatcher ${this.service}`);
    checkTaskType(type, 'handle.type');
    if (typeof handler !== 'function') throw new InvalidOptionError('handle.handler', handler, 'a function');
    const run = checkHandleOptions(options);
    const queue = this.settings.resolveQueue(this.settings.localQueue);
    queue.process(
      type,
      (message, ctx) => {
        const envelope = asEnvelope(message.payload);
        const taskId = envelope?.t ?? taskIdOf(queue.name, message.id);
        // progress is passed on to the origin only when it asked (envelope flag); otherwise it is the queue's ctx.progress
        const forward = envelope?.g ? this.runner.progressForwarder(message, envelope, taskId, ctx) : undefined;
        const context = dispatchContext(ctx, message, taskId, envelope?.o ?? this.service, forward ? () => forward.progress : undefined);
        if (!envelope) return handler(message.payload as P, context); // published straight to the queue: nothing to report
        return this.runner.runTracked(message, envelope, taskId, () => handler(envelope.p as P, context), ctx.signal, forward?.stop);
      },
      run,
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

  close(options?: CloseOptions): Promise<void> {
    return withDrainTimeout(options, 'close', DEFAULT_RESULTS_DRAIN_MS, (drainMs) => (this.closing ??= this.closeOnce(drainMs)));
  }

  private async closeOnce(drainMs: number): Promise<void> {
    this.replies.close((taskId) => new QueueClosedError(`dispatcher ${this.service} (task ${taskId})`));
    await this.results.close(drainMs);
    this.store.interrupt();
    await this.replies.stopped();
    await this.settings.closeOwnedQueues();
    await this.store.close();
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

  private checkCallback(path: string, type: string, callback: unknown): void {
    // a type no dispatch can have would never call it
    if (type !== '*') checkCallbackType(type, `${path}.type`);
    if (typeof callback !== 'function') throw new InvalidOptionError(`${path}.callback`, callback, 'a function');
  }
}

/** A task type, or `'*'` (every type), for onCompleted / onFailed / onProgress; throws InvalidOptionError at `path`. */
function checkCallbackType(type: unknown, path: string): void {
  try {
    checkTaskType(type, path);
  } catch {
    throw new InvalidOptionError(path, type, "a task type of 1..128 characters from [A-Za-z0-9_.:/-], or '*' (every type)");
  }
}

/**
 * The options of `handle`, checked under its name (`handle.options.<key>`) rather than first by the
 * queue's `process`: an object of known keys, `concurrency` in [1, 10 000], `timeoutMs` a timer's ms.
 */
function checkHandleOptions(options: unknown): HandleOptions {
  const o = callOptions(options, HANDLE_KEYS, 'handle.options') as HandleOptions;
  checkOption(QUEUE_FIELDS.concurrency().optional(), o.concurrency, 'handle.options.concurrency', InvalidOptionError);
  checkOption(timerMsField(0).optional(), o.timeoutMs, 'handle.options.timeoutMs', InvalidOptionError);
  return { concurrency: o.concurrency, timeoutMs: o.timeoutMs };
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
