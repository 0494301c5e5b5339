import type Redis from 'ioredis';
import type { BenchSystem, SystemFactoryOptions, SystemKind } from '../systems';

/** How big each scenario is. */
export interface Sizes {
  bulkMessages: number;
  batchSize: number;
  processMessages: number;
  /** Concurrency 1 is slow for BullMQ; it gets fewer messages. */
  processMessagesC1: number;
  /** Concurrency of the steady, priority and latency-under-load scenarios (same for both systems). */
  steadyConcurrency: number;
  steadySeconds: number;
  warmupSeconds: number;
  idleLatencySamples: number;
  loadLatencySeconds: number;
  memoryMessages: number;
  idleSeconds: number;
  /** Events per event-bus scenario (streams publish and consume, local bus). */
  busEvents: number;
  /** Events of the pub/sub fan-out (each delivered to 3 subscribers). */
  busFanoutEvents: number;
  /** Low messages in front of the criticals in the priority-preemption scenario (kept at least half full). */
  preemptionBacklog: number;
  /** How long criticals are published (one every 10 ms) per concurrency in priority-preemption. */
  preemptionSeconds: number;
  /** Groups scenario: this many groups of `groupMessages` messages each (and as many without groups). */
  groups: number;
  groupMessages: number;
  /** Longest any phase may take before the scenario counts as failed (stuck messages). */
  timeoutMs: number;
  /** Steady producers pause while this many published messages are not yet handled (the consumer stays the bottleneck). */
  steadyBacklog: number;
  /** The limit of the rate-limit scenario's limited type, per second. */
  rateLimitPerSecond: number;
}

export const FULL_SIZES: Sizes = {
  bulkMessages: 100_000,
  batchSize: 1000,
  processMessages: 100_000,
  processMessagesC1: 20_000,
  steadyConcurrency: 100,
  steadySeconds: 10,
  warmupSeconds: 1,
  idleLatencySamples: 2000,
  loadLatencySeconds: 8,
  memoryMessages: 100_000,
  idleSeconds: 10,
  busEvents: 100_000,
  busFanoutEvents: 50_000,
  preemptionBacklog: 100_000,
  preemptionSeconds: 5,
  groups: 1000,
  groupMessages: 100,
  timeoutMs: 180_000,
  steadyBacklog: 10_000,
  rateLimitPerSecond: 200,
};

/**
 * The smoke run (`npm test`'s bench-smoke spec): small enough to finish in about a minute on a busy
 * 2-core machine, where BullMQ handles a few hundred messages a second; the bounds are generous
 * because they only catch stuck messages, never speed.
 */
export const SMOKE_SIZES: Sizes = {
  bulkMessages: 2000,
  batchSize: 1000,
  processMessages: 1000,
  processMessagesC1: 200,
  steadyConcurrency: 100,
  steadySeconds: 1,
  warmupSeconds: 0.2,
  idleLatencySamples: 50,
  loadLatencySeconds: 1,
  memoryMessages: 1000,
  idleSeconds: 1,
  busEvents: 1000,
  busFanoutEvents: 1000,
  preemptionBacklog: 2000,
  preemptionSeconds: 0.3,
  groups: 50,
  groupMessages: 20,
  timeoutMs: 120_000,
  steadyBacklog: 1000,
  rateLimitPerSecond: 50,
};

export interface ScenarioContext {
  url: string;
  /** Connection for INFO/FLUSHALL; not used by the systems. */
  admin: Redis;
  sizes: Sizes;
  /** A system on fresh keys; the scenario closes it (use {@link withSystem}). */
  open(kind: SystemKind): BenchSystem;
  /** Fresh keys for a system opened elsewhere (a child process of the scenario) and again here with `openSystem`. */
  freshSystemOptions(): SystemFactoryOptions;
  /** Steady throughput measured earlier in this run, per system (feeds latency under load). */
  capacity: Partial<Record<SystemKind, number>>;
  log(line: string): void;
}

export interface MetricDef {
  key: string;
  label: string;
  unit: 'msgs/s' | 'events/s' | 'ms' | 'bytes' | 'cmds/min';
  better: 'higher' | 'lower';
}

export interface ScenarioOutcome {
  metrics: Record<string, number>;
  detail?: Record<string, unknown>;
}

export interface Scenario {
  id: string;
  title: string;
  metrics: MetricDef[];
  /** Extra systems run besides ours and BullMQ (shown as notes, not in the ratio). */
  variants?: SystemKind[];
  /** Only these systems run it (default every system of the run). The event buses are ours only: BullMQ has no equivalent. */
  systems?: SystemKind[];
  run(ctx: ScenarioContext, kind: SystemKind): Promise<ScenarioOutcome>;
}

export async function withSystem<T>(ctx: ScenarioContext, kind: SystemKind, fn: (system: BenchSystem) => Promise<T>): Promise<T> {
  const system = ctx.open(kind);
  try {
    await system.ready();
    return await fn(system);
  } finally {
    await system.close().catch((error) => ctx.log(`  close of ${kind} failed: ${(error as Error).message}`));
  }
}
