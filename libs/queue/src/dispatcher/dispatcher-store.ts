/**
 * The storage contract under a dispatcher (one Lua script or command per step on Redis, one
 * synchronous step in memory). Status records, results and replies belong to the origin service
 * (the dispatcher that published the task); the handling side writes into the origin's space.
 */

export interface InitRecord {
  taskId: string;
  type: string;
  queue: string;
}

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
}

export interface Reply {
  taskId: string;
  ok: boolean;
  valueJson: string;
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
}

export interface DispatcherStore {
  /** This instance's reply address (carried by its dispatchAndWait messages). */
  readonly replyAddress: string;
  /** Records tasks as pending. Never overwrites a state already written by a handler (order-independent). */
  init(records: InitRecord[]): Promise<void>;
  /** Drops status records (of tasks whose publish failed). */
  forget(taskIds: string[]): Promise<void>;
  /** A handler attempt started. Ignored once the task is final. */
  started(origin: string, taskId: string, attempt: number, messageId: string): Promise<void>;
  /** An attempt failed and the queue will retry. Ignored once the task is final. */
  attemptFailed(origin: string, taskId: string, attempt: number, errorJson: string): Promise<void>;
  /** Writes the final outcome, once per task: status, a results entry and the reply. False when already final. */
  finish(input: FinishInput): Promise<boolean>;
  /** Status fields of a task of this service. */
  status(taskId: string): Promise<Record<string, string> | null>;
  /** Results of this service not yet handled by any of its instances (blocks up to `blockMs`). */
  readResults(count: number, blockMs: number): Promise<ResultEntry[]>;
  ack(entryIds: string[]): Promise<void>;
  /** Replies for this instance (blocks up to `blockMs`). */
  readReplies(blockMs: number): Promise<Reply[]>;
  /** Ends pending blocking reads at once. */
  interrupt(): void;
  close(): Promise<void>;
}
