import { DurabilityTimeoutError, QueueConfigError } from '../errors';
import { loggerFor, QueueLogger } from '../logger';
import { checkRedisClient, RedisClient } from '../redis/redis-connection';
import { checkKnownKeys, knownKeys } from '../util/fields';
import { MemoryQueueStore } from './memory/memory-queue-store';
import { idleWaitMs, QUEUE_OPTION_KEYS, QueueOptions, resolveQueueOptions, ResolvedQueueOptions } from './queue-options';
import type { QueueObserver } from './queue-observer';
import type { QueueStore, StoreLimits } from './queue-store';
import { partitionTags } from './partitioned/partition-layout';
import { PartitionedQueueStore } from './partitioned/partitioned-queue-store';
import { PublishOutbox } from './redis/publish-outbox';
import { RedisQueueStore } from './redis/redis-queue-store';
import { StoreBackedQueue } from './task-queue';

/** Where a queue keeps its messages. */
export type QueueBackend =
  | { type: 'memory' }
  /** `client` is shared and stays open when the queue closes; `prefix` goes before the `{name}` hash tag (default `mq`). */
  | { type: 'redis'; client: RedisClient; prefix?: string };

export interface CreateQueueOptions extends QueueOptions {
  backend: QueueBackend;
  observer?: QueueObserver;
  /** Where the queue logs (default: a {@link ConsoleQueueLogger}); lines are tagged `Queue:<name>`. */
  logger?: QueueLogger;
}

const CREATE_QUEUE_KEYS = knownKeys<CreateQueueOptions>({ ...QUEUE_OPTION_KEYS, backend: true, observer: true, logger: true });
const BACKEND_KEYS: { readonly [T in QueueBackend['type']]: readonly string[] } = {
  memory: knownKeys<Extract<QueueBackend, { type: 'memory' }>>({ type: true }),
  redis: knownKeys<Extract<QueueBackend, { type: 'redis' }>>({ type: true, client: true, prefix: true }),
};

/**
 * Creates a priority task queue on Redis or in memory (same semantics).
 * @throws QueueConfigError naming the invalid option, or an unknown one (`queue.<key>`, `queue.backend.<key>`, ...).
 */
export function createQueue(options: CreateQueueOptions): StoreBackedQueue {
  checkKnownKeys(options, CREATE_QUEUE_KEYS, 'queue');
  const resolved = resolveQueueOptions(options);
  const limits = storeLimits(resolved);
  const backend = checkBackend(options.backend);
  const single = (tag: string): QueueStore =>
    backend.type === 'memory'
      ? new MemoryQueueStore(limits, resolved.deadLetter.enabled)
      : new RedisQueueStore({
          client: backend.client,
          prefix: backend.prefix,
          name: resolved.name,
          tag,
          limits,
          deadLetterEnabled: resolved.deadLetter.enabled,
          maxWaitMs: idleWaitMs(resolved),
          durability: resolved.durability,
          onDurabilityTimeout: durabilityReporter(resolved.name, options.observer, options.logger),
        });
  // partitions 1: the single store of the `{name}` layout, exactly as before partitions existed
  const store = resolved.partitions === 1 ? single(resolved.name) : new PartitionedQueueStore(partitionTags(resolved.name, resolved.partitions).map(single));
  const outbox =
    backend.type === 'redis' && resolved.outbox.enabled
      ? new PublishOutbox(backend.client, resolved.outbox.maxSize, resolved.name, (batch) => store.publish(batch), options.logger)
      : undefined;
  return new StoreBackedQueue(store, resolved, options.observer, outbox, options.logger);
}

/** `backend` if it names a backend the queue has (and a Redis client for `redis`), else a `QueueConfigError` naming the field. */
function checkBackend(backend: QueueBackend | undefined): QueueBackend {
  const type = (backend as { type?: unknown } | undefined)?.type;
  if (type !== 'memory' && type !== 'redis') throw new QueueConfigError('queue.backend.type', type, '"redis" or "memory"');
  checkKnownKeys(backend, BACKEND_KEYS[type], 'queue.backend');
  if (type === 'memory') return backend as QueueBackend;
  checkRedisClient((backend as { client?: unknown }).client, 'queue.backend.client');
  return backend as QueueBackend;
}

/** Logs and counts a worker-side write the replicas did not confirm in time (publishes reject instead). */
function durabilityReporter(queue: string, observer: QueueObserver | undefined, logger: QueueLogger | undefined): (error: DurabilityTimeoutError) => void {
  const log = loggerFor(`Queue:${queue}`, logger);
  return (error) => {
    log.warn(error.message);
    observer?.durabilityTimeout?.(queue, error.operation);
  };
}

function storeLimits(o: ResolvedQueueOptions): StoreLimits {
  return {
    groupConcurrency: o.groupConcurrency,
    deadLetterMaxSize: o.deadLetter.maxSize,
    deadLetterMaxAgeMs: o.deadLetter.maxAgeMs,
    completedCount: o.completedRetention.count,
    completedAgeMs: o.completedRetention.ageMs,
  };
}
