import type { Priority } from './queue.types';

/**
 * Hooks called by a queue as messages move (for metrics and tracing). Every method is optional
 * and must not throw; they run on the hot path, so keep them cheap.
 */
export interface QueueObserver {
  published?(queue: string, type: string, priority: Priority, count: number): void;
  /**
   * A first attempt started: `waitMs` is the time from publish to start, or, for a delayed publish,
   * from its due time (retries are not reported: their wait is mostly their backoff).
   */
  started?(queue: string, type: string, priority: Priority, waitMs: number): void;
  /** A handler finished: outcome `completed`, `retried`, `dead` or `dropped`. */
  finished?(queue: string, type: string, priority: Priority, outcome: 'completed' | 'retried' | 'dead' | 'dropped', durationMs: number): void;
  /** A message was dead-lettered without running (invalid entry, no handler). */
  rejected?(queue: string, type: string | null, reason: string): void;
  /**
   * A completion, retry or dead letter was applied on the master but fewer replicas than the
   * queue's `durability` asks for confirmed it in time (`operation`: `completion`, `retry`,
   * `dead letter`, `drop`).
   */
  durabilityTimeout?(queue: string, operation: string): void;
}
