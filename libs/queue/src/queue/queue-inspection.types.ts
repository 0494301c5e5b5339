/**
 * Read-only views of a queue for operators (`peek`, the worker registry), used by the admin API, the
 * mq CLI and the dashboard; the queue's own interface is in `queue.types.ts`.
 */
import type { Priority } from './queue.types';

/** What `peek` looks at: a tier (head first), the messages in flight (soonest lease end first), the delayed ones (soonest first), the recent completed (newest first). */
export type PeekTarget = Priority | 'inflight' | 'delayed' | 'completed';

/** One message seen by `peek` (read-only). */
export interface PeekedMessage {
  id: string;
  /** Null when the stored entry is not a valid message, or for completed messages whose record names none. */
  type: string | null;
  priority: Priority | null;
  payload: unknown;
  /** Ended attempts (in flight: the running one included). Completed: attempts made. */
  attempts: number;
  createdAt?: number;
  /** inflight: lease deadline; delayed: due time; completed: finished time. */
  at?: number;
  /** completed: the handler's return value. */
  result?: unknown;
  /** inflight: when this delivery was taken (ms; read from its lease token). */
  takenAt?: number;
  /** inflight: id of the worker process holding it (see {@link QueueWorkerInfo}). */
  worker?: string;
  /** inflight: the delivery's last `ctx.progress` value and when it was written (ms), when it reported one. */
  progress?: unknown;
  progressAt?: number;
}

/**
 * A process consuming a queue, from the queue's worker registry (its last heartbeat: every 10 s while
 * busy, 5 min while idle; left out once its next beat is 2.5 times overdue).
 */
export interface QueueWorkerInfo {
  /** The tag that ends its lease tokens (`PeekedMessage.worker`). */
  id: string;
  host: string;
  pid: number;
  /** When it started consuming (ms). */
  startedAt: number;
  /** Its last heartbeat (ms, Redis clock) and how long ago that was. */
  lastSeenAt: number;
  lastSeenAgoMs: number;
  /** When its next heartbeat is due at the latest (ms after the last). */
  beatEveryMs: number;
  /** Sum of its handlers' concurrency. */
  concurrency: number;
  /** Deliveries it held (running or waiting for a slot) at the heartbeat. */
  held: number;
  /** Its publish-to-start times over the minute before its last heartbeat: counts per bucket, bucket upper bounds in ms (the last bucket is unbounded). */
  waitCounts: number[];
  waitBucketsMs: number[];
  /** The rate limits its fetches keep: name '*' the whole queue, else a task type (empty: none, or a version that did not report them). */
  rateLimits: Array<{ name: string; max: number; perMs: number }>;
}

export interface PeekPage {
  target: PeekTarget;
  items: PeekedMessage[];
  total: number;
  offset: number;
  limit: number;
}
