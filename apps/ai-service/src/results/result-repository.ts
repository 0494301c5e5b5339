/** One inference result of a meeting, as stored. */
export interface StoredResult {
  taskId: string;
  type: string;
  /** Service that dispatched the task. */
  origin: string;
  result: unknown;
  finishedAt: string;
}

/** Results of the AI tasks by meeting, shared by every ai-service replica (newest kept, at most MAX_RESULTS_PER_MEETING). */
export interface ResultRepository {
  /** Stores a result; a redelivered task (same task id) replaces its earlier result. */
  record(meetingId: string, result: StoredResult): Promise<void>;
  /** The meeting's results, oldest first. */
  list(meetingId: string): Promise<StoredResult[]>;
}

export const RESULT_REPOSITORY = Symbol('ResultRepository');
export const MAX_RESULTS_PER_MEETING = 1000;
/** How long a meeting's results are kept after the last one (7 days). */
export const RESULTS_TTL_S = 7 * 24 * 3600;
