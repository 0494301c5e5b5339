/**
 * Public types of the task scheduler: delayed and recurring tasks on top of the priority queue.
 * One interface ({@link Scheduler}) with a Redis and a memory backend; see `docs/scheduler.md`.
 */
import type { HandlerContext, Priority, QueueMessage, TaskQueue } from '../queue/queue.types';

/** What runs when a schedule fires: a queue message of `type` published to `queue`. */
export interface ScheduledTask<P = unknown> {
  /** Task type (the handler registered with `process(type, ...)` on the target queue runs it). */
  type: string;
  /** Payload (default `null`), a value JSON writes as given: `NaN`, a `Map` or `Set`, a BigInt... are refused by `schedule` (`schedule.task.payload...`). */
  payload?: P;
  /** Name of the target queue (default: the scheduler's `defaultQueue`). */
  queue?: string;
  /** Default `normal`. */
  priority?: Priority;
  /** Retries after the first attempt (default: the target queue's `maxRetries`). */
  maxRetries?: number;
  /** Per-attempt time limit: past it the handler's AbortSignal fires and the attempt fails (default: the queue's). */
  timeoutMs?: number;
}

/** What to do with occurrences of a recurring task that were missed while no scheduler ran. */
export type MissedPolicy = 'skip' | 'run_once';

/** Options shared by the recurring forms of {@link ScheduleWhen}. */
export interface RecurringOptions {
  /**
   * Stable key of the recurring task: scheduling again with the same key updates it (the next run
   * is kept when the timing did not change). Default: a new random key.
   */
  key?: string;
  /** Default: the scheduler's `missedPolicy` (`skip`). */
  missed?: MissedPolicy;
}

/**
 * When a task runs: once after a delay, once at a date, on a cron expression (5 or 6 fields,
 * optional IANA time zone, default UTC), or every `everyMs` milliseconds.
 */
export type ScheduleWhen =
  | { delayMs: number }
  | { at: Date | number }
  | ({ cron: string; tz?: string } & RecurringOptions)
  | ({ everyMs: number } & RecurringOptions);

/** One entry of {@link Scheduler.list}. */
export interface ScheduleInfo {
  /** The id `schedule` returned: `once:<queue>:<messageId>` or `recurring:<key>`. */
  id: string;
  kind: 'once' | 'recurring';
  /** For recurring tasks. */
  key?: string;
  task: ScheduledTask & { queue: string };
  /** For recurring tasks: the timing. */
  when?: { cron: string; tz: string } | { everyMs: number };
  missed?: MissedPolicy;
  /** Next (or only) run, ms since the epoch. */
  nextRunAt: number;
  createdAt: number;
  updatedAt?: number;
}

/** Statistics under the seed's names. Counters are shared by every scheduler on the same backend and name. */
export interface SchedulerStats {
  /** Tasks released to queues: one-off tasks scheduled plus recurring occurrences fired. */
  total_tasks: number;
  /** Attempts of handlers registered through `scheduler.process` that completed. */
  completed_tasks: number;
  /** Attempts of those handlers that failed (threw, or ran past their timeout). */
  failed_tasks: number;
  /** Those handlers running now (entries of crashed processes expire). */
  active_tasks: number;
  /** Recurring definitions and one-off tasks not yet due. */
  scheduled_recurring: number;
  scheduled_once: number;
}

/** Delayed and recurring tasks. Create one with {@link createScheduler}. */
export interface Scheduler {
  readonly name: string;
  /**
   * Schedules a task; resolves to its id. A recurring form with the key of an existing recurring
   * task updates it. @throws InvalidOptionError naming the bad option (`schedule.when.cron`, ...),
   * an unknown key of the task (`schedule.task.<key>`; `group`, `idempotencyKey`, ... a publish
   * takes are refused saying why) or one the form of `when` does not take (`schedule.when.<key>`:
   * `{ cron, timezone }`, or `key`, `missed` or `tz` of a one-off form). Nothing is stored then.
   */
  schedule<P>(task: ScheduledTask<P>, when: ScheduleWhen): Promise<string>;
  /**
   * Cancels a schedule. One-off: true when the task had not started yet (the queue removed it).
   * Recurring (`recurring:<key>`): true when the definition existed; it is removed.
   * @throws InvalidOptionError at `cancel.id` for an id `schedule` could not have returned, or one
   *         naming a queue the scheduler was not given (memory backend).
   */
  cancel(id: string): Promise<boolean>;
  /**
   * Removes the recurring task of `key`; same as `cancel('recurring:' + key)`.
   * @throws InvalidOptionError at `removeRecurring.key` for a key that is not a string of 1..150 characters from `[A-Za-z0-9_.:/-]`.
   */
  removeRecurring(key: string): Promise<boolean>;
  /** One-off tasks not yet due and every recurring task, soonest first. */
  list(): Promise<ScheduleInfo[]>;
  /**
   * Registers the handler of `type` on a target queue (default: `defaultQueue`), counting its
   * attempts in the scheduler's stats. The queue applies timeouts and retries.
   * @throws InvalidOptionError at `process.handler`, `process.options` (not an object), `process.<key>` (unknown) or `process.queue`.
   */
  process<P = unknown, R = unknown>(
    type: string,
    handler: (message: QueueMessage<P>, context: HandlerContext) => Promise<R> | R,
    options?: { queue?: string; concurrency?: number },
  ): void;
  stats(): Promise<SchedulerStats>;
  /** The queue of that name (given in `queues`, or opened on the Redis backend). @throws InvalidOptionError at `queue.name`. */
  queue(name?: string): TaskQueue;
  /** Starts firing recurring tasks (done by `createScheduler` unless `autoStart: false`). */
  start(): void;
  /** Stops the loop and closes the queues this scheduler opened itself. Safe to call twice. */
  close(): Promise<void>;
}
