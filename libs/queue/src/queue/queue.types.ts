/**
 * Public types of the priority task queue. One interface ({@link TaskQueue}) with a Redis and a
 * memory backend; see `docs/queue.md` for the semantics in prose.
 */
import type { RateLimit } from './rate-limit';

/** Priority tiers, highest first. */
export const PRIORITIES = ['critical', 'high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];
/** The tier of a publish that names none. */
export const DEFAULT_PRIORITY: Priority = 'normal';

/** What `publish` takes. Only `type` is required. */
export interface PublishOptions<P = unknown> {
  /** Task type: routes the message to the handler registered with `process(type, ...)`. `[A-Za-z0-9_.:/-]`, at most 128 characters. */
  type: string;
  /**
   * A value JSON writes as given (default `null`): `NaN`, `Infinity`, a `Map` or `Set` anywhere in it, a
   * BigInt or a cycle are refused (`publish.payload.stats.avg: ...`). Its JSON may not exceed `maxPayloadBytes` (default 1 MiB).
   */
  payload?: P;
  /** Default `normal`. */
  priority?: Priority;
  /** Deliver no earlier than this many milliseconds from now (default 0: at once). */
  delayMs?: number;
  /** Retries after the first attempt before the message is dead-lettered (default: queue's `maxRetries`, 3). */
  maxRetries?: number;
  /** Per-attempt time limit; the handler's AbortSignal fires when it passes (default: queue's `defaultTimeoutMs`, 0 = none). */
  timeoutMs?: number;
  /** A second publish with the same key within `idempotencyTtlMs` returns the first id and enqueues nothing. */
  idempotencyKey?: string;
  /** How long an idempotency key is remembered (default: queue's `idempotencyTtlMs`, 24 h). */
  idempotencyTtlMs?: number;
  /**
   * Partitioned queues (`partitions` > 1): messages with the same key go to the same partition, so
   * they keep their order (FIFO inside a tier). Default: the message's `group` when it has one, else
   * its `idempotencyKey`, else round robin. Ignored by a queue of one partition. 1..256 characters.
   */
  partitionKey?: string;
  /**
   * Fair-sharing group (for the platform: the meeting id), `[A-Za-z0-9_.:/@-]`, at most 128
   * characters. Within a tier, ready groups are served in turn, and `groupConcurrency` bounds how
   * many of a group run at once (docs/queue.md, "Groups"). Default: none (the ungrouped messages
   * share one turn of the rotation).
   */
  group?: string;
}

/** A message as a handler receives it. */
export interface QueueMessage<P = unknown> {
  id: string;
  type: string;
  payload: P;
  priority: Priority;
  /** 1 on the first delivery; increased by each failed attempt and each expired lease. */
  attempt: number;
  maxRetries: number;
  /** 0 = no timeout. */
  timeoutMs: number;
  /** Publish time, milliseconds since the epoch. */
  createdAt: number;
  /** The message's fair-sharing group, when it was published with one. */
  group?: string;
}

/** Second argument of a handler. */
export interface HandlerContext {
  /** Same as `message.attempt`. */
  attempt: number;
  /** Fires on timeout ({@link TaskTimeoutError}), lost lease ({@link LeaseLostError}) or a close past its drain timeout. */
  signal: AbortSignal;
  /** Push the lease (visibility timeout) to `ms` from now (default: the queue's `visibilityTimeoutMs`). Leases are also renewed automatically while the handler runs. */
  extendLease(ms?: number): Promise<void>;
  /**
   * Reports how far the handler got: a finite number or a small JSON value (at most 4096 bytes of
   * JSON). Shown by `getStatus` while this delivery runs and (for dispatched tasks) passed to
   * the caller. Writes are throttled to one per 100 ms per
   * message (the newest value of a burst is written, the last one always); a value from a delivery
   * whose lease moved on is ignored. Resolves once written or superseded; never rejects for a store
   * failure (logged).
   * @throws InvalidOptionError (synchronously) for a value JSON would change or cannot write (a
   *   non-finite number, a Map or Set inside, a cycle), or too large.
   */
  progress(value: unknown): Promise<void>;
}

export type TaskHandler<P = unknown, R = unknown> = (message: QueueMessage<P>, context: HandlerContext) => Promise<R> | R;

export interface ProcessOptions {
  /** Handlers of this type running at once in this process (default: the queue's `concurrency`). */
  concurrency?: number;
  /**
   * Per-attempt limit of this handler (default none beyond the message's own `timeoutMs`). With both,
   * the smaller applies; past it the signal fires with {@link TaskTimeoutError} and the attempt fails.
   */
  timeoutMs?: number;
  /**
   * At most `max` messages of this type start per `perMs` across every worker of the queue
   * (default: the queue's `rateLimits[type]`, else none). Every worker handling the type should
   * configure the same limit: each fetch keeps the limits of the worker that sends it.
   */
  rateLimit?: RateLimit;
}

export type MessageState = 'pending' | 'delayed' | 'processing' | 'retrying' | 'completed' | 'dead';

/** The error recorded for a failed attempt or a dead letter. */
export interface RecordedError {
  name: string;
  message: string;
  stack?: string;
}

/** Answer of `getStatus(id)`. */
export interface MessageStatus {
  id: string;
  state: MessageState;
  type?: string;
  priority?: Priority;
  /** Attempts made so far (finished or running). */
  attempts: number;
  createdAt?: number;
  /** For `delayed` and `retrying`: when it becomes ready. For `processing`: when its lease expires. */
  nextAt?: number;
  finishedAt?: number;
  /** For `completed`: the handler's return value. */
  result?: unknown;
  /** For `retrying` and `dead`: the last error. */
  error?: RecordedError;
  /** For `dead`: why it was dead-lettered. */
  reason?: string;
  /** For `processing`: the last value the running delivery reported with `ctx.progress`, and when (ms, store clock). */
  progress?: unknown;
  progressAt?: number;
}

/** A dead-lettered message. */
export interface DeadLetter {
  id: string;
  /** Null when the entry was not a valid message (its raw text is in `raw`). */
  type: string | null;
  priority: Priority | null;
  payload: unknown;
  attempts: number;
  reason: string;
  error?: RecordedError;
  deadAt: number;
  createdAt?: number;
  /** Set when the stored entry could not be decoded. */
  raw?: string;
}

export interface DeadLetterPage {
  items: DeadLetter[];
  total: number;
  offset: number;
  limit: number;
}

/** Dead-letter queue operations (`queue.deadLetters`). Newest first. */
export interface DeadLetterQueue {
  list(options?: { offset?: number; limit?: number }): Promise<DeadLetterPage>;
  get(id: string): Promise<DeadLetter | null>;
  /** Back to its tier with attempts reset. Throws {@link DeadLetterNotFoundError} when absent. */
  replay(id: string): Promise<void>;
  /** Replays every entry; returns how many. */
  replayAll(): Promise<number>;
  /** Returns whether the entry existed. */
  delete(id: string): Promise<boolean>;
  /** Removes every entry; returns how many. */
  purge(): Promise<number>;
}

/** Statistics, under the seed's names. Totals are cluster-wide counters kept by the backend. */
export interface QueueStats {
  total_published: number;
  total_processed: number;
  /** Failed attempts (thrown, timed out, lease expired). */
  total_failed: number;
  total_retried: number;
  total_dead_letter: number;
  /** Messages dropped at their final failure because the dead-letter queue is disabled (`deadLetter.enabled: false`). */
  total_dropped: number;
  /** Dead letters removed by the DLQ bounds (max size, max age). */
  dead_letter_trimmed: number;
  queue_length: Record<Priority, number>;
  processing_count: number;
  delayed_count: number;
  dead_letter_count: number;
  /** Publishes waiting in this process's outbox for Redis to come back (0 when the outbox is off). */
  outbox_size: number;
  /** Groups with ready messages in a rotation, summed over tiers (docs/queue.md, "Groups"). */
  groups_ready: number;
  /** Groups out of the rotation at their `groupConcurrency` limit. */
  groups_blocked: number;
  /** Groups with messages in flight. */
  groups_running: number;
}

/** Options of `queue.close` and `dispatcher.close`. */
export interface CloseOptions {
  /**
   * How long in-flight work may finish (default 10 s): a queue's running handlers, before they are
   * aborted and their messages put back; a dispatcher's result deliveries (callbacks, webhooks),
   * before its webhook requests are aborted and the undelivered results left pending for another
   * instance (docs/dispatcher.md, "Closing").
   */
  drainTimeoutMs?: number;
}

/** A progress report of a running message, as `onProgress` listeners receive it. */
export interface ProgressEvent {
  queue: string;
  /** Message id. */
  id: string;
  type: string;
  /** The attempt that reported it. */
  attempt: number;
  /** The value given to `ctx.progress`. */
  progress: unknown;
  /** When the worker wrote it (ms). */
  at: number;
}

/** The priority task queue. Create one with {@link createQueue}. */
export interface TaskQueue {
  readonly name: string;
  /** Enqueue one message; resolves to its id. */
  publish<P>(options: PublishOptions<P>): Promise<string>;
  /** Enqueue many in one round trip, all or nothing; ids in input order. */
  publishBatch(messages: PublishOptions[]): Promise<string[]>;
  /** Register the handler of a task type and start consuming (once per type). */
  process<P = unknown, R = unknown>(type: string, handler: TaskHandler<P, R>, options?: ProcessOptions): void;
  getStatus(id: string): Promise<MessageStatus | null>;
  /**
   * Calls `listener` with the progress reports (`ctx.progress`) of this queue's running messages,
   * from every process, as they are written (throttled: at most one per message per 100 ms).
   * Resolves once listening; the returned function stops it. At most once: a report written while
   * this process was not listening (or its connection was down) is not repeated (`getStatus` has
   * the latest). A listener that throws is logged and ignored.
   */
  onProgress(listener: (event: ProgressEvent) => void): Promise<() => Promise<void>>;
  /** Removes a message that has not started yet (pending, delayed or waiting for a retry). Resolves false when it is running, finished, dead or unknown. */
  cancel(id: string): Promise<boolean>;
  stats(): Promise<QueueStats>;
  readonly deadLetters: DeadLetterQueue;
  /**
   * Stops every worker of this queue (in every process) from starting new messages. Publishing still
   * works. When it resolves, this process starts nothing more and what it held without starting is
   * back at the head of its tier (attempt not counted); other processes stop at their next fetch
   * reply (docs/queue.md, "Pause, resume, close").
   */
  pause(): Promise<void>;
  resume(): Promise<void>;
  isPaused(): Promise<boolean>;
  /**
   * Stops this process's workers of the queue, and only them: nothing more is fetched or started,
   * what they held without starting goes back to the head of its tier at once (attempt not
   * counted), the running handlers may finish up to `drainTimeoutMs`, then are aborted and their
   * messages put back. Publishing, status, stats and the other processes' workers go on; `close`
   * later releases the rest. For a shutdown in two steps (stop consuming, let the rest of the
   * application close, then close). Safe to call twice (same promise).
   * @throws InvalidOptionError at `stopWorkers.drainTimeoutMs` (or `stopWorkers.options`).
   */
  stopWorkers(options?: CloseOptions): Promise<void>;
  /** Stop taking work, let handlers finish up to `drainTimeoutMs`, put the rest back, release resources. Safe to call twice. */
  close(options?: CloseOptions): Promise<void>;
}
