import { DurabilityTimeoutError, QueueConfigError } from '../errors';
import { checkRedisBackendKeys, QueueDirectory, SERVICE_REDIS_BACKEND_KEYS, ServiceRedisBackend } from '../queue/queue-directory';
import type { TaskQueue } from '../queue/queue.types';
import { loggerFor, QueueLogger } from '../logger';
import { checkRedisClient } from '../redis/redis-connection';
import { checkKnownKeys, checkOption, checkQueueName, knownKeys, timerMsField } from '../util/fields';
import { MemorySchedulerStore } from './memory/memory-scheduler-store';
import { RedisSchedulerStore } from './redis/redis-scheduler-store';
import { SCHEDULER_FIELDS } from './schedule-spec';
import type { MissedPolicy, Scheduler } from './scheduler';
import { TaskScheduler } from './task-scheduler';

/** Where a scheduler keeps its recurring definitions and counters. */
export type SchedulerBackend =
  /**
   * `prefix` goes before the `{name}` hash tag of the scheduler's keys (default `sch`); `queuePrefix`
   * is the key prefix of the target queues (default `mq`, the queue's default): queues it opens use
   * it, and due one-off tasks wake their queue's workers through it.
   */
  | ({ type: 'redis'; prefix?: string } & ServiceRedisBackend)
  /** `store` lets several schedulers in one process act as replicas of one another. */
  | { type: 'memory'; store?: MemorySchedulerStore };

export interface CreateSchedulerOptions {
  backend: SchedulerBackend;
  /** Scheduler name, the hash tag of its keys; schedulers with the same name are replicas (default `scheduler`). `[A-Za-z0-9_.:-]`, 1..50. */
  name?: string;
  /**
   * Target queues. On Redis, a queue not given here is opened on demand (publish only, default
   * options but `backend.queuePartitions`) on the same client; on memory every target queue must be given.
   */
  queues?: TaskQueue[];
  /** Queue of tasks that name none. */
  defaultQueue?: string;
  /** Policy of recurring tasks that set none (default `skip`). */
  missedPolicy?: MissedPolicy;
  /** An occurrence more than this late counts as missed and its task's policy applies (default 1000 ms). */
  missedGraceMs?: number;
  /** Longest sleep of the loop without a wake-up, a safety net for lost notifications (default 30 000 ms). */
  maxIdleMs?: number;
  /** How long a running handler counts as active when its process dies without reporting (default 300 000 ms). */
  activeTtlMs?: number;
  /** Start firing recurring tasks at once (default true). */
  autoStart?: boolean;
  /** Where the scheduler (and the queues it opens) log (default: a console logger); lines are tagged `Scheduler:<name>`. */
  logger?: QueueLogger;
}

const SCHEDULER_KEYS = knownKeys<CreateSchedulerOptions>({
  backend: true,
  name: true,
  queues: true,
  defaultQueue: true,
  missedPolicy: true,
  missedGraceMs: true,
  maxIdleMs: true,
  activeTtlMs: true,
  autoStart: true,
  logger: true,
});
const REDIS_BACKEND_KEYS = knownKeys<Extract<SchedulerBackend, { type: 'redis' }>>({ ...SERVICE_REDIS_BACKEND_KEYS, type: true, prefix: true });
const MEMORY_BACKEND_KEYS = knownKeys<Extract<SchedulerBackend, { type: 'memory' }>>({ type: true, store: true });

/** A scheduler's name (`createScheduler`'s `name`, the admin's `scheduler` argument). */
export const SCHEDULER_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,50}$/;

/**
 * Creates a scheduler on Redis or in memory (same semantics).
 * @throws QueueConfigError naming the invalid option, or an unknown one (`scheduler.<key>`, `scheduler.backend.<key>`).
 */
export function createScheduler(options: CreateSchedulerOptions): Scheduler {
  if (!options || typeof options !== 'object') throw new QueueConfigError('scheduler', options, 'an options object');
  checkKnownKeys(options, SCHEDULER_KEYS, 'scheduler');
  const name = options.name ?? 'scheduler';
  if (typeof name !== 'string' || !SCHEDULER_NAME_PATTERN.test(name)) {
    throw new QueueConfigError('scheduler.name', name, 'a name of 1..50 characters from [A-Za-z0-9_.:-]');
  }
  const int = (key: keyof CreateSchedulerOptions, fallback: number, min: number): number =>
    checkOption(timerMsField(min).default(fallback), options[key], `scheduler.${key}`);
  const missed = checkOption(SCHEDULER_FIELDS.missedPolicy().default('skip'), options.missedPolicy, 'scheduler.missedPolicy');
  if (options.defaultQueue !== undefined) checkQueueName(options.defaultQueue, 'scheduler.defaultQueue');
  const backend = options.backend;
  let store: MemorySchedulerStore | RedisSchedulerStore;
  let queues: QueueDirectory;
  if (backend?.type === 'redis') {
    checkRedisBackendKeys(backend, REDIS_BACKEND_KEYS, 'scheduler.backend');
    checkRedisClient(backend.client, 'scheduler.backend.client');
    const log = loggerFor(`Scheduler:${name}`, options.logger);
    const writes = { durability: backend.durability, onTimeout: backend.onDurabilityTimeout ?? ((error: DurabilityTimeoutError) => log.warn(error.message)) };
    store = new RedisSchedulerStore(backend.client, backend.prefix ?? 'sch', name, backend.queuePrefix ?? 'mq', writes);
    queues = new QueueDirectory(options.queues, 'scheduler', backend, options.logger);
  } else if (backend?.type === 'memory') {
    checkKnownKeys(backend, MEMORY_BACKEND_KEYS, 'scheduler.backend');
    store = backend.store ?? new MemorySchedulerStore();
    queues = new QueueDirectory(options.queues, 'scheduler');
  } else {
    throw new QueueConfigError('scheduler.backend.type', (backend as { type?: unknown })?.type, '"redis" or "memory"');
  }
  const redisStore = store instanceof RedisSchedulerStore ? store : undefined;
  const scheduler = new TaskScheduler(store, {
    name,
    defaultQueue: options.defaultQueue,
    missedPolicy: missed,
    missedGraceMs: int('missedGraceMs', 1000, 0),
    maxIdleMs: int('maxIdleMs', 30_000, 10),
    activeTtlMs: int('activeTtlMs', 300_000, 1000),
    resolveQueue: (queueName, path) => queues.get(queueName, path),
    closeOwnedQueues: () => queues.closeOwned(),
    beforeLoop: redisStore ? () => redisStore.subscribe() : undefined,
    logger: options.logger,
  });
  if (options.autoStart !== false) scheduler.start();
  return scheduler;
}
