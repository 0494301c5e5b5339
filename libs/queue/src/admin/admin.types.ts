import type { EventEnvelope } from '../events/event-bus';
import type { PeekPage, Priority } from '../queue/queue.types';
import type { ScheduleInfo } from '../scheduler/scheduler';
import type { InFlightMessage, QueueLatency } from './queue-activity';
import type { RateLimitInfo } from './rate-limits';

/* The shapes QueueAdmin returns (re-exported by queue-admin.ts). */

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
  /** Rate limits (configured or kept by live workers) with their tokens now; `parked` of each is null here (see `QueueAdmin.rateLimits`). */
  rateLimits: RateLimitInfo[];
  /** Messages parked behind a type's rate limit (also counted in `tiers`). */
  parked: number;
}

/** Which dead letters an operation applies to. All filters are optional; entries are taken newest first. */
export interface DeadLetterFilter {
  /** Task type, exactly. */
  type?: string;
  /** Dead since (ms since the epoch), inclusive. */
  since?: number;
  /** At most this many entries. */
  limit?: number;
}

/** A stream consumer group, with its consumers. */
export interface StreamGroupInfo {
  channel: string;
  stream: string;
  length: number;
  group: string;
  pending: number;
  lag: number | null;
  lastDeliveredId: string;
  consumers: Array<{ name: string; pending: number; idleMs: number }>;
}

/** A schedule, with the scheduler (service) that owns it. */
export interface ScheduleEntry extends ScheduleInfo {
  scheduler: string;
}

/** A page of messages in flight (`QueueAdmin.inflight`). */
export type InFlightPage = Omit<PeekPage, 'items'> & { items: InFlightMessage[] };

export interface TailedEvent {
  channel: string;
  /** Stream entry id (streams only). */
  entryId?: string;
  event: EventEnvelope | null;
  /** The raw text when it was not a valid envelope. */
  raw?: string;
}
