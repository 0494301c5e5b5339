import { InvalidOptionError, QueueConfigError } from '../errors';
import {
  TASK_TYPE_EXPECTED,
  TASK_TYPE_PATTERN,
  backoffFields,
  boolField,
  checkKnownKeys,
  checkOption,
  checkQueueName,
  enumField,
  intField,
  KeyList,
  knownKeys,
  optionsAt,
  timerMsField,
} from '../util/fields';
import { MAX_PARTITIONS } from './partitioned/partition-layout';
import { DEFAULT_PRIORITY, PRIORITIES, Priority } from './queue.types';
import type { RateLimit } from './rate-limit';

export type { RateLimit } from './rate-limit';

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
  /**
   * Replication before acknowledging (Redis backend; accepted and ignored in memory): every
   * publish, completion, retry and dead-letter write waits until `replicas` replicas have it
   * (Redis `WAIT`, on a Cluster on the node owning the queue), at most `timeoutMs` (default
   * `{ replicas: 0, timeoutMs: 1000 }`: no wait). A publish whose replicas do not confirm in time
   * fails with DurabilityTimeoutError; a worker-side write is logged and counted
   * (`mq_durability_timeouts_total`). See docs/guarantees.md.
   */
  durability?: { replicas?: number; timeoutMs?: number };
  /** Limit for the whole queue, every type together (default none). Kept by the fetch of every worker that has it configured. */
  rateLimit?: RateLimit;
  /** Limits per task type (default none); `process(type, handler, { rateLimit })` overrides a type's entry. */
  rateLimits?: Record<string, RateLimit>;
  /**
   * Spread the queue over this many partitions, each its own hash tag placed on a different master
   * of a Redis Cluster (default 1: the one `{name}` slot). Producers pick a partition by
   * `partitionKey` (messages of one key keep their order) or round robin; workers serve all of them.
   * Every process of a queue must use the same value (docs/queue.md, "Partitioned queues").
   */
  partitions?: number;
  /**
   * Most messages of one group (publish option `group`) in flight at once across every worker
   * (default none). Kept by the fetch of every worker that has it configured (docs/queue.md, "Groups").
   */
  groupConcurrency?: number;
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
  durability: { replicas: number; timeoutMs: number };
  rateLimit: RateLimit | null;
  rateLimits: Record<string, RateLimit>;
  partitions: number;
  /** 0: no limit. */
  groupConcurrency: number;
}

export { QUEUE_NAME_PATTERN, TASK_TYPE_PATTERN } from '../util/fields';

const DAY = 86_400_000;

/** The most handlers of one type a process runs at once (`concurrency`, `process(..., { concurrency })`). */
export const MAX_CONCURRENCY = 10_000;
/** The most retries a message may have (`maxRetries` of a queue, a publish, a route, a scheduled task). */
export const MAX_RETRIES = 1000;

/** The longest `idleBlockMs` accepted (ms), so the longest wait for work a worker asks of its store. */
export const MAX_IDLE_BLOCK_MS = 600_000;

/**
 * The facts about a queue's options that the YAML configuration shares (`message_queue`,
 * `retention`, `limits`): the config schema builds its keys from these fields, so a bound is
 * written once.
 */
export const QUEUE_FIELDS = {
  concurrency: () => intField(1, MAX_CONCURRENCY),
  maxRetries: () => intField(0, MAX_RETRIES),
  defaultTimeoutMs: () => timerMsField(0),
  maxPayloadBytes: () => intField(1, 512 * 1024 * 1024),
  prefetch: () => intField(1, 10_000),
  idleBlockMs: () => intField(10, MAX_IDLE_BLOCK_MS),
  publishTimeoutMs: () => timerMsField(0),
  weight: () => intField(1, 1000),
  outboxMaxSize: () => intField(1),
  deadLetterMaxSize: () => intField(1),
  completedCount: () => intField(0),
  durabilityReplicas: () => intField(0, 100),
  durabilityTimeoutMs: () => intField(1, 600_000),
  rateMax: () => intField(1, 1_000_000),
  ratePerMs: () => intField(1, 86_400_000),
  partitions: () => intField(1, MAX_PARTITIONS),
  groupConcurrency: () => intField(1, 100_000),
};

/** One `true` per option of {@link QueueOptions}; `createQueue` adds its own (`backend`, ...). */
export const QUEUE_OPTION_KEYS: KeyList<QueueOptions> = {
  name: true,
  concurrency: true,
  visibilityTimeoutMs: true,
  maxRetries: true,
  backoff: true,
  defaultTimeoutMs: true,
  maxPayloadBytes: true,
  scheduling: true,
  deadLetter: true,
  completedRetention: true,
  idempotencyTtlMs: true,
  unhandledTypeGraceMs: true,
  prefetch: true,
  idleBlockMs: true,
  publishTimeoutMs: true,
  outbox: true,
  durability: true,
  rateLimit: true,
  rateLimits: true,
  partitions: true,
  groupConcurrency: true,
};

type Nested<K extends keyof QueueOptions> = NonNullable<QueueOptions[K]>;

/** The keys of the nested option objects {@link resolveQueueOptions} refuses others in. */
const NESTED_KEYS = {
  backoff: knownKeys<Nested<'backoff'>>({ baseMs: true, factor: true, maxMs: true, jitter: true }),
  deadLetter: knownKeys<Nested<'deadLetter'>>({ enabled: true, maxSize: true, maxAgeMs: true }),
  completedRetention: knownKeys<Nested<'completedRetention'>>({ count: true, ageMs: true }),
  outbox: knownKeys<Nested<'outbox'>>({ enabled: true, maxSize: true }),
  durability: knownKeys<Nested<'durability'>>({ replicas: true, timeoutMs: true }),
};
const RATE_LIMIT_KEYS = knownKeys<RateLimit>({ max: true, perMs: true });
/** Both forms' keys: `weights` left beside `mode: 'strict'` is not a typo. */
const SCHEDULING_KEYS = knownKeys<Extract<SchedulingOptions, { mode: 'weighted' }>>({ mode: true, weights: true });

/** Refuses unknown keys in the nested option objects (`<path>.backoff.<key>`, ...). */
function checkNestedKeys(options: QueueOptions, path: string): void {
  for (const key of Object.keys(NESTED_KEYS) as Array<keyof typeof NESTED_KEYS>) checkKnownKeys(options[key], NESTED_KEYS[key], `${path}.${key}`);
}

/**
 * Fills defaults and validates; throws {@link QueueConfigError} naming the option. Unknown keys of
 * nested objects are refused here; those of `options` itself by the caller, which knows its own
 * keys besides {@link QUEUE_OPTION_KEYS} (`createQueue`).
 */
export function resolveQueueOptions(options: QueueOptions, path = 'queue'): ResolvedQueueOptions {
  if (!options || typeof options !== 'object') throw new QueueConfigError(path, options, 'an options object');
  const name = checkQueueName(options.name, `${path}.name`);
  checkNestedKeys(options, path);
  const opt = optionsAt(path);
  const backoff = options.backoff ?? {};
  const dl = options.deadLetter ?? {};
  const retention = options.completedRetention ?? {};
  const outbox = options.outbox ?? {};
  const durability = options.durability ?? {};
  return {
    name,
    concurrency: opt('concurrency', QUEUE_FIELDS.concurrency().default(4), options.concurrency),
    visibilityTimeoutMs: opt('visibilityTimeoutMs', timerMsField(100).default(30_000), options.visibilityTimeoutMs),
    maxRetries: opt('maxRetries', QUEUE_FIELDS.maxRetries().default(3), options.maxRetries),
    backoff: {
      baseMs: opt('backoff.baseMs', backoffFields.base().default(1000), backoff.baseMs),
      factor: opt('backoff.factor', backoffFields.factor().default(2), backoff.factor),
      maxMs: opt('backoff.maxMs', backoffFields.max().default(60_000), backoff.maxMs),
      jitter: opt('backoff.jitter', backoffFields.jitter().default(0.2), backoff.jitter),
    },
    defaultTimeoutMs: opt('defaultTimeoutMs', QUEUE_FIELDS.defaultTimeoutMs().default(0), options.defaultTimeoutMs),
    maxPayloadBytes: opt('maxPayloadBytes', QUEUE_FIELDS.maxPayloadBytes().default(1024 * 1024), options.maxPayloadBytes),
    scheduling: resolveScheduling(options.scheduling, `${path}.scheduling`),
    deadLetter: {
      enabled: opt('deadLetter.enabled', boolField().default(true), dl.enabled),
      maxSize: opt('deadLetter.maxSize', QUEUE_FIELDS.deadLetterMaxSize().default(10_000), dl.maxSize),
      maxAgeMs: opt('deadLetter.maxAgeMs', intField(1).default(7 * DAY), dl.maxAgeMs),
    },
    completedRetention: {
      count: opt('completedRetention.count', QUEUE_FIELDS.completedCount().default(1000), retention.count),
      ageMs: opt('completedRetention.ageMs', intField(1).default(3_600_000), retention.ageMs),
    },
    idempotencyTtlMs: opt('idempotencyTtlMs', intField(1).default(DAY), options.idempotencyTtlMs),
    unhandledTypeGraceMs: opt('unhandledTypeGraceMs', timerMsField(0).default(30_000), options.unhandledTypeGraceMs),
    prefetch: opt('prefetch', QUEUE_FIELDS.prefetch().default(100), options.prefetch),
    idleBlockMs: opt('idleBlockMs', QUEUE_FIELDS.idleBlockMs().default(30_000), options.idleBlockMs),
    publishTimeoutMs: opt('publishTimeoutMs', QUEUE_FIELDS.publishTimeoutMs().default(10_000), options.publishTimeoutMs),
    outbox: {
      enabled: opt('outbox.enabled', boolField().default(false), outbox.enabled),
      maxSize: opt('outbox.maxSize', QUEUE_FIELDS.outboxMaxSize().default(10_000), outbox.maxSize),
    },
    durability: {
      replicas: opt('durability.replicas', QUEUE_FIELDS.durabilityReplicas().default(0), durability.replicas),
      timeoutMs: opt('durability.timeoutMs', QUEUE_FIELDS.durabilityTimeoutMs().default(1000), durability.timeoutMs),
    },
    rateLimit: options.rateLimit === undefined ? null : resolveRateLimit(options.rateLimit, `${path}.rateLimit`),
    rateLimits: resolveRateLimits(options.rateLimits, `${path}.rateLimits`),
    partitions: opt('partitions', QUEUE_FIELDS.partitions().default(1), options.partitions),
    groupConcurrency: options.groupConcurrency === undefined ? 0 : opt('groupConcurrency', QUEUE_FIELDS.groupConcurrency(), options.groupConcurrency),
  };
}

/**
 * The longest an idle worker waits for work before it fetches again: `idleBlockMs`, capped at the
 * visibility timeout (so leases a crashed worker took after this one went idle are reclaimed at
 * most one visibility timeout late). Its blocking connection owes a reply that long.
 */
export function idleWaitMs(options: Pick<ResolvedQueueOptions, 'idleBlockMs' | 'visibilityTimeoutMs'>): number {
  return Math.min(options.idleBlockMs, options.visibilityTimeoutMs);
}

/** Validates a {@link RateLimit}; throws {@link QueueConfigError} naming the option. */
export function resolveRateLimit(value: RateLimit, path: string): RateLimit {
  if (!value || typeof value !== 'object') throw new QueueConfigError(path, value, 'an object { max, perMs }');
  checkKnownKeys(value, RATE_LIMIT_KEYS, path);
  return {
    max: checkOption(QUEUE_FIELDS.rateMax(), value.max, `${path}.max`),
    perMs: checkOption(QUEUE_FIELDS.ratePerMs(), value.perMs, `${path}.perMs`),
  };
}

function resolveRateLimits(value: Record<string, RateLimit> | undefined, path: string): Record<string, RateLimit> {
  if (value === undefined) return {};
  if (!value || typeof value !== 'object') throw new QueueConfigError(path, value, 'a mapping of task type to { max, perMs }');
  const resolved: Record<string, RateLimit> = {};
  for (const [type, limit] of Object.entries(value)) {
    if (!TASK_TYPE_PATTERN.test(type)) throw new QueueConfigError(`${path}.${type}`, type, TASK_TYPE_EXPECTED);
    resolved[type] = resolveRateLimit(limit, `${path}.${type}`);
  }
  return resolved;
}

function resolveScheduling(value: SchedulingOptions | undefined, path: string): SchedulingOptions {
  if (value === undefined) return { mode: 'strict' };
  checkKnownKeys(value, SCHEDULING_KEYS, path);
  const mode = checkOption(enumField(['strict', 'weighted']), (value as { mode?: unknown })?.mode, `${path}.mode`);
  if (mode === 'strict') return { mode: 'strict' };
  const weights = (value as { weights?: Record<string, unknown> }).weights ?? { critical: 8, high: 4, normal: 2, low: 1 };
  for (const key of Object.keys(weights)) {
    if (!PRIORITIES.includes(key as Priority)) throw new QueueConfigError(`${path}.weights.${key}`, key, `one of ${PRIORITIES.join(', ')}`);
  }
  const resolved = {} as Record<Priority, number>;
  for (const p of PRIORITIES) resolved[p] = checkOption(QUEUE_FIELDS.weight(), weights[p], `${path}.weights.${p}`);
  return { mode: 'weighted', weights: resolved };
}

/** Index of {@link DEFAULT_PRIORITY} in {@link PRIORITIES}. */
export const DEFAULT_PRIORITY_INDEX: number = PRIORITIES.indexOf(DEFAULT_PRIORITY);

/** Index 0..3 of a priority name (undefined: the default tier); throws {@link InvalidOptionError} naming the option. */
export function priorityIndex(priority: unknown, path = 'publish.priority'): number {
  if (priority === undefined) return DEFAULT_PRIORITY_INDEX;
  const index = PRIORITIES.indexOf(priority as Priority);
  if (index < 0) throw new InvalidOptionError(path, priority, `one of ${PRIORITIES.join(', ')}`);
  return index;
}

/** Backoff before the retry that follows failed attempt `attempt` (1-based). `random` is in [0, 1). */
export function backoffDelay(backoff: BackoffOptions, attempt: number, random: number): number {
  const raw = Math.min(backoff.maxMs, backoff.baseMs * Math.pow(backoff.factor, Math.max(0, attempt - 1)));
  return Math.round(raw * (1 - backoff.jitter * random));
}
