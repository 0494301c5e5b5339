import type { StoreBackedQueue } from '../queue/task-queue';
import { PRIORITIES, Priority } from '../queue/queue.types';
import type { PeekedMessage, PeekPage, QueueWorkerInfo } from '../queue/queue-inspection.types';
import { WAIT_BUCKETS_MS, waitQuantileMs } from '../queue/wait-window';

/** How long messages wait in one queue (cheap reads: the head of each tier and the workers' heartbeats). */
export interface QueueLatency {
  /**
   * Per tier: ms since the message waiting longest was published; null when the tier is empty. Read
   * from the heads of the tier list, of its parked messages (rate limits), of the first
   * {@link OLDEST_RING_MAX} groups of its rotation and of the blocked groups (a group further down a
   * longer rotation is not seen). For a delayed or retried message the delay is included.
   */
  oldestWaitingMs: Record<Priority, number | null>;
  /** The largest of `oldestWaitingMs` (null: nothing waits). */
  oldestMs: number | null;
  /** Handler starts in about the last minute (the minute before each worker's latest heartbeat), every worker summed. */
  starts: number;
  /**
   * Publish-to-start over the last minute, every worker merged: the bucket bound (ms) under which half /
   * 95 % of the starts were (null: no starts, or beyond the last bucket of 300 s).
   */
  waitP50Ms: number | null;
  waitP95Ms: number | null;
}

/** A message in flight with the worker holding it. */
export interface InFlightMessage extends PeekedMessage {
  /** ms since this delivery was taken (null: the lease token does not tell). */
  heldMs: number | null;
  /** ms until its lease ends unless renewed (negative: expired, waiting to be redelivered). */
  leaseEndsInMs: number | null;
  /** The worker process holding it, from the registry (null: unknown, e.g. its heartbeat is stale). */
  holder: { id: string; host: string; pid: number } | null;
}

/** A page of messages in flight (`QueueAdmin.inflight`). */
export type InFlightPage = Omit<PeekPage, 'items'> & { items: InFlightMessage[] };

/** Groups of each tier's rotation whose oldest message the latency read looks at (one LINDEX each). */
export const OLDEST_RING_MAX = 100;

/** Oldest waiting message per tier and the merged publish-to-start percentiles of a queue. */
export async function queueLatency(queue: StoreBackedQueue, workers: QueueWorkerInfo[], now = Date.now()): Promise<QueueLatency> {
  const created = await queue.oldestWaiting(OLDEST_RING_MAX);
  const oldestWaitingMs = {} as Record<Priority, number | null>;
  let oldestMs: number | null = null;
  PRIORITIES.forEach((p, i) => {
    const at = created[i];
    const age = at === null ? null : Math.max(0, now - at);
    oldestWaitingMs[p] = age;
    if (age !== null && (oldestMs === null || age > oldestMs)) oldestMs = age;
  });
  const counts = mergeCounts(workers);
  return {
    oldestWaitingMs,
    oldestMs,
    starts: counts.reduce((a, b) => a + b, 0),
    waitP50Ms: waitQuantileMs(counts, 0.5),
    waitP95Ms: waitQuantileMs(counts, 0.95),
  };
}

/** Sums the workers' publish-to-start counts (those with the same buckets as this version). */
function mergeCounts(workers: QueueWorkerInfo[]): number[] {
  const sum = new Array<number>(WAIT_BUCKETS_MS.length + 1).fill(0);
  const bounds = WAIT_BUCKETS_MS.join(',');
  for (const w of workers) {
    // an idle worker beats rarely: counts of a minute that ended long ago are not "recent"
    if (w.waitBucketsMs.join(',') !== bounds || w.lastSeenAgoMs > 60_000) continue;
    w.waitCounts.forEach((n, i) => i < sum.length && (sum[i] += n));
  }
  return sum;
}

/** The in-flight page with, per message, how long it has been held and by which worker. */
export function withHolders(page: PeekPage, workers: QueueWorkerInfo[], now = Date.now()): InFlightPage {
  const byId = new Map(workers.map((w) => [w.id, w]));
  return {
    ...page,
    items: page.items.map((m) => {
      const w = m.worker === undefined ? undefined : byId.get(m.worker);
      return {
        ...m,
        heldMs: m.takenAt === undefined ? null : Math.max(0, now - m.takenAt),
        leaseEndsInMs: m.at === undefined ? null : m.at - now,
        holder: w ? { id: w.id, host: w.host, pid: w.pid } : null,
      };
    }),
  };
}
