/**
 * Public types of the task dispatcher: cross-service routing, status tracking, result callbacks,
 * webhooks and request/reply over the priority queue. See `docs/dispatcher.md`.
 */
import type { CloseOptions, HandlerContext, Priority, QueueMessage, RecordedError } from '../queue/queue.types';

/** Where a task type goes and its defaults. */
export interface RouteConfig {
  /** Queue of the service that handles the type. */
  queue: string;
  /** Default `normal`. */
  priority?: Priority;
  /** Per-attempt time limit (default: the target queue's). */
  timeoutMs?: number;
  /** Retries after the first attempt (default: the target queue's). */
  maxRetries?: number;
}

/** Task type -> route. */
export type RoutingTable = Record<string, RouteConfig>;

/** Per-dispatch overrides of the route's defaults. */
export interface DispatchOptions {
  priority?: Priority;
  /** Per-attempt time limit of the handler. */
  timeoutMs?: number;
  maxRetries?: number;
  /** Deliver no earlier than this many ms from now. */
  delayMs?: number;
  /** The outcome is POSTed here as JSON (with retries) once the task completed or finally failed. */
  webhookUrl?: string;
  /**
   * Fair-sharing group of the task (for the platform: the meeting id): the target queue serves its
   * groups in turn and may bound how many of one run at once (`groupConcurrency`; docs/queue.md, "Groups").
   */
  group?: string;
}

/** Options of {@link Dispatcher.dispatchAndWait}: `timeoutMs` is how long the caller waits. */
export interface DispatchAndWaitOptions extends Omit<DispatchOptions, 'timeoutMs'> {
  /** How long to wait for the reply (default: the dispatcher's `replyTimeoutMs`, 30 s). */
  timeoutMs?: number;
  /** Per-attempt time limit of the handler (default: the route's). */
  taskTimeoutMs?: number;
  /**
   * Called with each progress report of the task's handler (`ctx.progress`) while this call waits
   * (throttled at the handler: at most one per 100 ms; reports of an earlier, failed attempt may
   * come before those of the next). Not called after the call settled. A callback that throws is
   * logged and ignored.
   */
  onProgress?: (progress: TaskProgress) => void;
}

/** One entry of {@link Dispatcher.dispatchBatch}. */
export interface BatchItem<P = unknown> {
  type: string;
  payload?: P;
  options?: DispatchOptions;
}

export type TaskState = 'pending' | 'processing' | 'retrying' | 'completed' | 'failed';

/**
 * Answer of {@link Dispatcher.getStatus}: the task's queue message status, in task terms
 * (`pending` and `delayed` -> `pending`, `dead` -> `failed`). There is one status per task: its
 * queue message's.
 */
export interface TaskStatus {
  /** `<queue>:<messageId>`. */
  taskId: string;
  state: TaskState;
  type?: string;
  /** Target queue. */
  queue: string;
  /** Id of the queue message carrying the task. */
  messageId: string;
  /** Attempts made so far (finished or running). */
  attempts: number;
  createdAt?: number;
  /** For a delayed task or one waiting for its retry: when it becomes ready. */
  nextAt?: number;
  finishedAt?: number;
  /** For `completed`: the handler's return value. */
  result?: unknown;
  /** For `retrying` (last failed attempt) and `failed`. */
  error?: RecordedError;
  /** For `processing`: the running attempt's last `ctx.progress` value, and when it was written (ms). */
  progress?: unknown;
  progressAt?: number;
}

/** What `onCompleted` callbacks receive. */
export interface CompletedTask<R = unknown> {
  taskId: string;
  type: string;
  result: R;
  attempts: number;
  finishedAt: number;
}

/** What `onProgress` callbacks (and `dispatchAndWait`'s `onProgress` option) receive: one progress report of a running task. */
export interface TaskProgress<T = unknown> {
  taskId: string;
  type: string;
  /** The value the handler passed to `ctx.progress`. */
  progress: T;
  /** The attempt that reported it. */
  attempt: number;
  /** When it was written (ms, the store's clock; for `dispatchAndWait`: when it was received). */
  at: number;
}

/** What `onFailed` callbacks receive (the task failed for good: retries exhausted or non-retryable). */
export interface FailedTask {
  taskId: string;
  type: string;
  error: RecordedError;
  attempts: number;
  finishedAt: number;
}

/** Second argument of a dispatcher handler: the queue's context plus the task's identity. */
export interface DispatchHandlerContext extends HandlerContext {
  taskId: string;
  /** Service that dispatched the task. */
  origin: string;
  message: QueueMessage;
}

export type DispatchHandler<P = unknown, R = unknown> = (payload: P, context: DispatchHandlerContext) => Promise<R> | R;

/** Routes tasks to services and reports their outcome back. Create one with {@link createDispatcher}. */
export interface Dispatcher {
  /** This service's name: origin of its dispatches, name of its results consumer group. */
  readonly service: string;
  /**
   * Publishes a task to its routed queue (or the local queue when routing is disabled): one
   * publish, the only write of a dispatch. Resolves to the task id, `<queue>:<messageId>`.
   * @throws UnknownRouteError for a type without a route; InvalidOptionError for bad options.
   */
  dispatch<P>(type: string, payload?: P, options?: DispatchOptions): Promise<string>;
  /**
   * Dispatches many: one publish round trip per target queue (all issued at once). Ids in input order.
   * @throws InvalidOptionError for a batch that is not an array (`dispatchBatch`), an entry that is not an
   *         object (`dispatchBatch[i]`) or holds an unknown key (`dispatchBatch[i].<key>`); nothing is published.
   */
  dispatchBatch(items: BatchItem[]): Promise<string[]>;
  /**
   * Dispatches and waits for the handler's return value. Rejects with {@link RemoteTaskError}
   * (remote name and message preserved) or {@link DispatchTimeoutError}; the reply reaches this
   * instance only. Rejects with InvalidOptionError for options that are not an object
   * (`dispatchAndWait.options`) or hold an unknown key (`dispatchAndWait.options.<key>`).
   */
  dispatchAndWait<R = unknown, P = unknown>(type: string, payload?: P, options?: DispatchAndWaitOptions): Promise<R>;
  /**
   * Registers the handler of `type` on the local queue; its outcome is reported to the task's
   * origin. `timeoutMs` limits each attempt (with the message's own limit, the smaller applies).
   * @throws InvalidOptionError at `handle.type`, `handle.handler`, `handle.options` (not an object) or `handle.options.<key>`.
   */
  handle<P = unknown, R = unknown>(type: string, handler: DispatchHandler<P, R>, options?: { concurrency?: number; timeoutMs?: number }): void;
  /**
   * Called once per completed task of `type` (`'*'`: every type) dispatched by this service, even across restarts.
   * @throws InvalidOptionError at `onCompleted.type` for a string that is neither a task type nor `'*'` (it could never match).
   */
  onCompleted<R = unknown>(type: string, callback: (task: CompletedTask<R>) => void | Promise<void>): void;
  /** Called once per finally failed task of `type` (`'*'`: every type) dispatched by this service. */
  onFailed(type: string, callback: (task: FailedTask) => void | Promise<void>): void;
  /**
   * Called with the progress reports (`ctx.progress`) of tasks of `type` (`'*'`: every type)
   * dispatched by this service after the callback was registered (a dispatch asks for progress
   * only when a callback for its type exists then). Each report goes to one instance of the
   * service, like results; reports are throttled at the handler (at most one per 100 ms per task)
   * and none follows the task's outcome.
   */
  onProgress<T = unknown>(type: string, callback: (progress: TaskProgress<T>) => void | Promise<void>): void;
  /**
   * Where a task is: its queue message's status (one read). Null for an id that is not a task id of
   * a queue this dispatcher knows (routes, local queue, given queues), and once the queue dropped
   * the message (completed: past `completedRetention`; failed: past the dead-letter retention).
   */
  getStatus(taskId: string): Promise<TaskStatus | null>;
  /**
   * Stops reading results and replies; waits up to `drainTimeoutMs` (the queue's {@link CloseOptions};
   * default 10 s, as the queue's) for the results already read to be delivered (callbacks run,
   * webhooks POSTed), then aborts the webhook requests still running and stops waiting
   * for callbacks still running: those entries are not acknowledged, so another instance of the
   * service delivers them again (after `claimIdleMs` on Redis). Closes the queues the dispatcher
   * opened itself. Safe to call twice (same promise).
   * @throws InvalidOptionError (rejects) at `close.drainTimeoutMs` (or `close.<key>`, `close`), closing nothing.
   */
  close(options?: CloseOptions): Promise<void>;
}
