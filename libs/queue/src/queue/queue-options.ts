import { InvalidOptionError, QueueConfigError } from '../errors';
import { PRIORITIES, Priority } from './queue.types';

/** Exponential backoff between attempts: `min(maxMs, baseMs * factor^(attempt-1))`, minus up to `jitter` of it at random. */
export interface BackoffOptions {
  /** Delay before the first retry (default 1000 ms). */
  baseMs: number;
  /** Growth per attempt (default 2). */
  factor: number;
  /** Upper bound (default 60 000 ms). */
  maxMs: number;
  /** Fraction 0..1 of the delay taken off at random, so retries of many messages spread out (default 0.2). */
  jitter: number;
}

/**
 * How a worker picks the tier to take from. `strict`: always the highest non-empty tier (FIFO inside).
 * `weighted`: tiers are drawn in proportion to their weights among the non-empty ones, so low tiers are never starved.
 */
export type SchedulingOptions = { mode: 'strict' } | { mode: 'weighted'; weights: Record<Priority, number> };

export interface QueueOptions {
  /** Queue name; also the Redis hash tag `{name}` of every key. `[A-Za-z0-9_.:-]`, 1..100 characters. */
  name: string;
  /** Default handlers running at once per task type in one process (seed: `workers`; default 4). */
  concurrency?: number;
  /** Lease length: a message whose worker stops renewing it is delivered again after this (default 30 000 ms). */
  visibilityTimeoutMs?: number;
  /** Default retries per message (default 3). */
  maxRetries?: number;
  backoff?: Partial<BackoffOptions>;
  /** Default per-attempt timeout, 0 = none (default 0). */
  defaultTimeoutMs?: number;
  /** Largest payload JSON accepted (default 1 MiB). */
  maxPayloadBytes?: number;
  /** Default `{ mode: 'strict' }`. */
  scheduling?: SchedulingOptions;
  /** Dead-letter queue: on (default) or off (final failures are dropped and counted), bounded by size and age. */
  deadLetter?: { enabled?: boolean; maxSize?: number; maxAgeMs?: number };
  /** How many completed results to keep, and for how long (default 1000 for 1 h). Count 0 keeps none. */
  completedRetention?: { count?: number; ageMs?: number };
  /** How long idempotency keys are remembered (default 24 h). */
  idempotencyTtlMs?: number;
  /** A message of a type no handler here knows is put back for this long (so another worker can take it), then dead-lettered (default 30 000 ms). */
  unhandledTypeGraceMs?: number;
  /** Most messages taken in one fetch (default 100). */
  prefetch?: number;
  /** Longest an idle worker blocks before it checks for expired leases and due delayed messages (default 30 000 ms). */
  idleBlockMs?: number;
  /**
   * Longest a publish or publishBatch waits for Redis before it fails with PublishTimeoutError
   * (default 10 000 ms; 0 = wait without bound). A timed-out publish may still be applied later.
   * With the outbox on, an unreachable Redis sends publishes to the outbox instead of waiting.
   */
  publishTimeoutMs?: number;
  /** Backup producer (Redis backend): while Redis is unreachable, publishes wait in a bounded in-process outbox (default off, 10 000 messages). */
  outbox?: { enabled?: boolean; maxSize?: number };
}

export interface ResolvedQueueOptions {
  name: string;
  concurrency: number;
  visibilityTimeoutMs: number;
  maxRetries: number;
  backoff: BackoffOptions;
  defaultTimeoutMs: number;
  maxPayloadBytes: number;
  scheduling: SchedulingOptions;
  deadLetter: { enabled: boolean; maxSize: number; maxAgeMs: number };
  completedRetention: { count: number; ageMs: number };
  idempotencyTtlMs: number;
  unhandledTypeGraceMs: number;
  prefetch: number;
  idleBlockMs: number;
  publishTimeoutMs: number;
  outbox: { enabled: boolean; maxSize: number };
}

export const QUEUE_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,100}$/;
export const TASK_TYPE_PATTERN = /^[A-Za-z0-9_.:/-]{1,128}$/;

const DAY = 86_400_000;

/** Fills defaults and validates; throws {@link QueueConfigError} naming the option. */
export function resolveQueueOptions(options: QueueOptions, path = 'queue'): ResolvedQueueOptions {
  if (!options || typeof options !== 'object') throw new QueueConfigError(path, options, 'an options object');
  if (typeof options.name !== 'string' || !QUEUE_NAME_PATTERN.test(options.name)) {
    throw new QueueConfigError(`${path}.name`, options.name, 'a name of 1..100 characters from [A-Za-z0-9_.:-]');
  }
  const int = (key: string, value: unknown, fallback: number, min: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      throw new QueueConfigError(`${path}.${key}`, value, min === 0 ? 'an integer >= 0' : `an integer >= ${min}`);
    }
    return value;
  };
  const num = (key: string, value: unknown, fallback: number, min: number, max = Infinity): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw new QueueConfigError(`${path}.${key}`, value, `a number in [${min}, ${max}]`);
    }
    return value;
  };
  const backoff = options.backoff ?? {};
  const dl = options.deadLetter ?? {};
  const retention = options.completedRetention ?? {};
  const outbox = options.outbox ?? {};
  if (outbox.enabled !== undefined && typeof outbox.enabled !== 'boolean') {
    throw new QueueConfigError(`${path}.outbox.enabled`, outbox.enabled, 'true or false');
  }
  if (dl.enabled !== undefined && typeof dl.enabled !== 'boolean') {
    throw new QueueConfigError(`${path}.deadLetter.enabled`, dl.enabled, 'true or false');
  }
  return {
    name: options.name,
    concurrency: int('concurrency', options.concurrency, 4, 1),
    visibilityTimeoutMs: int('visibilityTimeoutMs', options.visibilityTimeoutMs, 30_000, 100),
    maxRetries: int('maxRetries', options.maxRetries, 3, 0),
    backoff: {
      baseMs: num('backoff.baseMs', backoff.baseMs, 1000, 0),
      factor: num('backoff.factor', backoff.factor, 2, 1),
      maxMs: num('backoff.maxMs', backoff.maxMs, 60_000, 0),
      jitter: num('backoff.jitter', backoff.jitter, 0.2, 0, 1),
    },
    defaultTimeoutMs: int('defaultTimeoutMs', options.defaultTimeoutMs, 0, 0),
    maxPayloadBytes: int('maxPayloadBytes', options.maxPayloadBytes, 1024 * 1024, 1),
    scheduling: resolveScheduling(options.scheduling, `${path}.scheduling`),
    deadLetter: {
      enabled: dl.enabled ?? true,
      maxSize: int('deadLetter.maxSize', dl.maxSize, 10_000, 1),
      maxAgeMs: int('deadLetter.maxAgeMs', dl.maxAgeMs, 7 * DAY, 1),
    },
    completedRetention: {
      count: int('completedRetention.count', retention.count, 1000, 0),
      ageMs: int('completedRetention.ageMs', retention.ageMs, 3_600_000, 1),
    },
    idempotencyTtlMs: int('idempotencyTtlMs', options.idempotencyTtlMs, DAY, 1),
    unhandledTypeGraceMs: int('unhandledTypeGraceMs', options.unhandledTypeGraceMs, 30_000, 0),
    prefetch: int('prefetch', options.prefetch, 100, 1),
    idleBlockMs: int('idleBlockMs', options.idleBlockMs, 30_000, 10),
    publishTimeoutMs: int('publishTimeoutMs', options.publishTimeoutMs, 10_000, 0),
    outbox: { enabled: outbox.enabled ?? false, maxSize: int('outbox.maxSize', outbox.maxSize, 10_000, 1) },
  };
}

function resolveScheduling(value: SchedulingOptions | undefined, path: string): SchedulingOptions {
  if (value === undefined) return { mode: 'strict' };
  if (value.mode === 'strict') return { mode: 'strict' };
  if (value.mode !== 'weighted') throw new QueueConfigError(`${path}.mode`, (value as { mode?: unknown }).mode, '"strict" or "weighted"');
  const weights = value.weights ?? { critical: 8, high: 4, normal: 2, low: 1 };
  for (const key of Object.keys(weights)) {
    if (!PRIORITIES.includes(key as Priority)) throw new QueueConfigError(`${path}.weights.${key}`, key, `one of ${PRIORITIES.join(', ')}`);
  }
  const resolved = {} as Record<Priority, number>;
  for (const p of PRIORITIES) {
    const w = weights[p];
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 1 || w > 1000) {
      throw new QueueConfigError(`${path}.weights.${p}`, w, 'an integer in [1, 1000]');
    }
    resolved[p] = w;
  }
  return { mode: 'weighted', weights: resolved };
}

/** Index 0..3 of a priority name; throws {@link InvalidOptionError} naming the option. */
export function priorityIndex(priority: unknown, path = 'publish.priority'): number {
  if (priority === undefined) return 2;
  const index = PRIORITIES.indexOf(priority as Priority);
  if (index < 0) throw new InvalidOptionError(path, priority, `one of ${PRIORITIES.join(', ')}`);
  return index;
}

/** Backoff before the retry that follows failed attempt `attempt` (1-based). `random` is in [0, 1). */
export function backoffDelay(backoff: BackoffOptions, attempt: number, random: number): number {
  const raw = Math.min(backoff.maxMs, backoff.baseMs * Math.pow(backoff.factor, Math.max(0, attempt - 1)));
  return Math.round(raw * (1 - backoff.jitter * random));
}
