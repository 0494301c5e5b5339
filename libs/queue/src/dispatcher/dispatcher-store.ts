/**
 * The storage contract under a dispatcher (one Lua script or command per step on Redis, one
 * synchronous step in memory): the outcome events of tasks. There is no status record here: a
 * task is its queue message (the publish is the dispatch's only write) and its status is the
 * queue's. Results and replies belong to the origin service (the dispatcher that published the
 * task); the handling side writes into the origin's space, once per task.
 */

/** A final outcome, as written once per task to the origin's results. */
export interface ResultEntry {
  /** Store entry id (stream id on Redis), for `ack`. */
  entryId: string;
  taskId: string;
  type: string;
  ok: boolean;
  /** JSON of the result (ok) or of the recorded error. */
  valueJson: string;
  attempts: number;
  finishedAt: number;
  webhookUrl?: string;
  /** W3C trace context of the handler's span (the callbacks run in a span under it), when it ran in one. */
  traceparent?: string;
  tracestate?: string;
  /** A progress report, not an outcome: `valueJson` is the progress, `attempts` the running attempt, `finishedAt` when it was written. */
  progress?: boolean;
}

export interface Reply {
  taskId: string;
  ok: boolean;
  valueJson: string;
  /** A progress report for the waiting caller (the wait goes on): `valueJson` is the progress, `attempt` the attempt that reported it. */
  progress?: boolean;
  attempt?: number;
}

/** A progress report of a running task, for its origin. */
export interface ProgressInput {
  origin: string;
  taskId: string;
  type: string;
  /** JSON of the progress value (already checked by the queue: small). */
  valueJson: string;
  /** The running attempt. */
  attempt: number;
  /** Into the origin's results (its `onProgress` callbacks). */
  toResults: boolean;
  /** Reply address of the waiting caller that asked for progress, if any. */
  replyTo?: string;
}

export interface FinishInput {
  origin: string;
  taskId: string;
  type: string;
  ok: boolean;
  valueJson: string;
  attempts: number;
  /** Reply address of the waiting caller instance, if any. */
  replyTo?: string;
  webhookUrl?: string;
  traceparent?: string;
  tracestate?: string;
}

export interface DispatcherStore {
  /** This instance's reply address (carried by its dispatchAndWait messages). */
  readonly replyAddress: string;
  /**
   * Writes the final outcome, once per task (a marker kept for the retention makes a redelivered
   * task's second finish a no-op): a results entry and, when a caller waits, the reply. False when
   * the task's outcome was already written.
   */
  finish(input: FinishInput): Promise<boolean>;
  /**
   * Passes a progress report to the origin: a results entry marked as progress and/or an entry on
   * the waiting caller's reply list. Nothing is written once the task's outcome was (a late report
   * of an earlier delivery). False when nothing was written.
   */
  progress(input: ProgressInput): Promise<boolean>;
  /** Results of this service not yet handled by any of its instances (blocks up to `blockMs`). */
  readResults(count: number, blockMs: number): Promise<ResultEntry[]>;
  ack(entryIds: string[]): Promise<void>;
  /**
   * How often entries still being delivered must be renewed so that no peer takes them over (about
   * a third of `claimIdleMs`); undefined when nothing takes entries over (memory).
   */
  readonly renewEveryMs?: number;
  /** Resets the idle time of entries this instance still delivers (only those still its own); with `renewEveryMs`. */
  renew?(entryIds: string[]): Promise<void>;
  /** Replies for this instance (blocks up to `blockMs`); `more` false: one is enough (no further caller waits). */
  readReplies(blockMs: number, more?: boolean): Promise<Reply[]>;
  /** Ends pending blocking reads at once. */
  interrupt(): void;
  close(): Promise<void>;
}
