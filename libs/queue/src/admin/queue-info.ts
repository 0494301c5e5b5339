import type { StoreBackedQueue } from '../queue/task-queue';
import { PRIORITIES, Priority } from '../queue/queue.types';
import { QueueLatency, queueLatency } from './queue-activity';
import { RateLimitInfo, readRateLimits } from './rate-limits';

/** One queue at a glance. */
export interface QueueInfo {
  name: string;
  paused: boolean;
  tiers: Record<Priority, number>;
  /** Sum of the four tiers. */
  waiting: number;
  inflight: number;
  delayed: number;
  deadLetters: number;
  published: number;
  processed: number;
  failed: number;
  retried: number;
  deadLettered: number;
  deadLettersTrimmed: number;
  /** Dropped at their final failure because the dead-letter queue is disabled. */
  dropped: number;
  /** Processes consuming the queue now (live heartbeats). */
  workers: number;
  /** Groups (docs/queue.md, "Groups"): in a rotation (summed over tiers), blocked at `groupConcurrency`, with messages in flight. */
  groups: { ready: number; blocked: number; running: number };
  /** How long messages wait: oldest waiting per tier, publish-to-start p50/p95 over the last minute. */
  latency: QueueLatency;
  /** Rate limits (configured or kept by live workers) with their tokens now; `parked` of each is null here (see `QueueAdmin.rateLimits`). */
  rateLimits: RateLimitInfo[];
  /** Messages parked behind a type's rate limit (also counted in `tiers`). */
  parked: number;
}

/** A queue's counters, pause state, workers, latency and rate limits in one read. */
export async function queueInfo(name: string, queue: StoreBackedQueue): Promise<QueueInfo> {
  const [s, paused, workers] = await Promise.all([queue.stats(), queue.isPaused(), queue.workers()]);
  const [latency, rate] = await Promise.all([queueLatency(queue, workers), readRateLimits(queue, workers, 0)]);
  const tiers = s.queue_length;
  return {
    name,
    paused,
    tiers,
    waiting: PRIORITIES.reduce((sum, p) => sum + tiers[p], 0),
    inflight: s.processing_count,
    delayed: s.delayed_count,
    deadLetters: s.dead_letter_count,
    published: s.total_published,
    processed: s.total_processed,
    failed: s.total_failed,
    retried: s.total_retried,
    deadLettered: s.total_dead_letter,
    deadLettersTrimmed: s.dead_letter_trimmed,
    dropped: s.total_dropped,
    workers: workers.length,
    groups: { ready: s.groups_ready, blocked: s.groups_blocked, running: s.groups_running },
    latency,
    rateLimits: rate.limits,
    parked: rate.parked.total,
  };
}
