/**
 * What every benchmarked system offers the scenarios: publish one or many messages, start a
 * consumer with a given concurrency, tell when the backend holds no more work, close.
 */

/**
 * A bench message: a sequence number, optionally a send time (performance.now()), a priority tier
 * 0..3 (0 highest) and a fair-sharing group (ours only: BullMQ's open-source version has no groups,
 * it publishes the message without one).
 */
export interface BenchMsg {
  i: number;
  t?: number;
  p?: 0 | 1 | 2 | 3;
  g?: string;
}

export type SystemKind = 'ours' | 'ours-r0' | 'bullmq';

export const SYSTEM_LABELS: Record<SystemKind, string> = {
  ours: 'ours (@meeting/queue, defaults)',
  'ours-r0': 'ours, completedRetention { count: 0 }',
  bullmq: 'BullMQ',
};

export interface BenchSystem {
  readonly kind: SystemKind;
  /** Payload as the system stores it, for the memory scenario (JSON of what the system receives as data). */
  payloadBytes(msg: BenchMsg): number;
  /** Connected and ready (so connection set-up is not timed). */
  ready(): Promise<void>;
  publish(msg: BenchMsg): Promise<void>;
  publishBatch(msgs: BenchMsg[]): Promise<void>;
  /** Starts consuming; `onMessage` runs at handler start. Resolves once the consumer is running. */
  consume(concurrency: number, onMessage: (msg: BenchMsg) => void | Promise<void>): Promise<void>;
  /** True when nothing is waiting or in flight any more (every delivery acknowledged). */
  isDrained(): Promise<boolean>;
  close(): Promise<void>;
}

export interface SystemFactoryOptions {
  /** redis://host:port of the bench server. */
  url: string;
  /** Fresh key prefix for this run. */
  prefix: string;
  /** Queue name. */
  name: string;
}
