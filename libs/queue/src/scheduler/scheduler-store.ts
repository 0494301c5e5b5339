/**
 * The storage contract under a scheduler: the atomic steps (one Lua script each on Redis, one
 * synchronous step on the memory store). The loop and the validation above it are shared, so the
 * two backends behave the same by construction.
 */

export interface DueRecurring {
  key: string;
  /** The due occurrence (the stored next run), ms. */
  occurrence: number;
  /** Definition JSON; null when the definition vanished. */
  definition: string | null;
}

export interface DueBatch {
  /** Store time, ms (Redis server time on Redis). */
  now: number;
  items: DueRecurring[];
  /** Ms until the earliest future recurring run or one-off due time (null: none). */
  waitMs: number | null;
  /** One-off tasks that became due after the `onceAfter` given to `due` (their queues get a wake-up). */
  onceDue: string[];
}

/** One compare-and-set of {@link SchedulerStore.advance}: the next run of `key` from `occurrence` to `nextRunAt`. */
export interface AdvanceStep {
  key: string;
  occurrence: number;
  nextRunAt: number;
  /** True when the occurrence was published (counted in `total`), false when skipped (counted in `skipped`). */
  fired: boolean;
}

export interface StoredSchedules {
  once: Array<{ id: string; dueAt: number; info: string }>;
  recurring: Array<{ key: string; nextRunAt: number; definition: string }>;
}

export interface StoredSchedulerCounts {
  counters: Record<string, number>;
  active: number;
  once: number;
  recurring: number;
}

export interface SchedulerStore {
  /** Creates or updates; keeps the next run when `sig` is unchanged. Wakes every loop. True when created. */
  upsertRecurring(key: string, definitionJson: string, sig: string, nextRunAt: number): Promise<boolean>;
  /** True when it existed. Wakes every loop. */
  removeRecurring(key: string): Promise<boolean>;
  due(limit: number, onceAfter: number): Promise<DueBatch>;
  /** Wakes an idle worker of the queue (Redis: of the partition `messageId` names); nothing to do in memory. */
  nudgeQueue(queue: string, messageId: string): Promise<void>;
  /**
   * The steps' CAS of each next run from `occurrence` to `nextRunAt`, in order, in one atomic step
   * (one script on Redis); each step that advances counts its run (`total` when `fired`, else
   * `skipped`). One answer per step, in order: true when it advanced.
   */
  advance(steps: readonly AdvanceStep[]): Promise<boolean[]>;
  addOnce(id: string, dueAt: number, info: string): Promise<void>;
  removeOnce(id: string): Promise<boolean>;
  list(): Promise<StoredSchedules>;
  taskStarted(token: string, ttlMs: number): Promise<void>;
  taskEnded(token: string, outcome: 'completed' | 'failed'): Promise<void>;
  counts(): Promise<StoredSchedulerCounts>;
  /** Resolves on a definition change (any process), on `interruptWait`, or after `timeoutMs`. */
  waitForChange(timeoutMs: number): Promise<void>;
  interruptWait(): void;
  close(): Promise<void>;
}
