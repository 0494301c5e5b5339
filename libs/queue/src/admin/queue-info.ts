import type { StoreBackedQueue } from '../queue/task-queue';
import { PRIORITIES, Priority } from '../queue/queue.types';
import { QueueLatency, queueLatency } from './queue-activity';

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
  /** Processes consuming the queue now (live heartbeats). */
  workers: number;
  /** How long messages wait: oldest waiting per tier, publish-to-start p50/p95 over the last minute. */
  latency: QueueLatency;
}

/** A queue's counters, pause state, workers and latency in one read. */
export async function queueInfo(name: string, queue: StoreBackedQueue): Promise<QueueInfo> {
  const [s, paused, workers] = await Promise.all([queue.stats(), queue.isPaused(), queue.workers()]);
  const latency = await queueLatency(queue, workers);
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
    workers: workers.length,
    latency,
  };
}
