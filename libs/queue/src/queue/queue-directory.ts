import { DurabilityTimeoutError, InvalidOptionError, QueueConfigError } from '../errors';
import type { QueueLogger } from '../logger';
import type { DurabilityOptions } from '../redis/durable-writes';
import type { RedisClient } from '../redis/redis-connection';
import { checkKnownKeys, checkQueueName, KeyList, knownKeys } from '../util/fields';
import { createQueue } from './create-queue';
import type { TaskQueue } from './queue.types';

/**
 * What the Redis backends of a scheduler and of a dispatcher share beside their own key `prefix`:
 * the client, the target queues they open on demand and the durability of their writes.
 */
export interface ServiceRedisBackend {
  client: RedisClient;
  /** Key prefix of the target queues (default `mq`, the queue's default). */
  queuePrefix?: string;
  /**
   * Replicas each acknowledged write waits for (Redis `WAIT`, see docs/guarantees.md); also given to
   * the queues it opens. Writes a caller waits for reject with DurabilityTimeoutError when the
   * replicas do not confirm in time; background writes call `onDurabilityTimeout` (default: a warning).
   */
  durability?: DurabilityOptions;
  onDurabilityTimeout?: (error: DurabilityTimeoutError) => void;
  /** `partitions` of the target queues it opens on demand (default 1; QueueManager: from the configuration). */
  queuePartitions?: (queue: string) => number;
}

/** One `true` per key of {@link ServiceRedisBackend}, for the key lists of the scheduler's and dispatcher's Redis backends. */
export const SERVICE_REDIS_BACKEND_KEYS: KeyList<ServiceRedisBackend> = {
  client: true,
  queuePrefix: true,
  durability: true,
  onDurabilityTimeout: true,
  queuePartitions: true,
};
const DURABILITY_KEYS = knownKeys<DurabilityOptions>({ replicas: true, timeoutMs: true });

/**
 * Refuses a key of a scheduler's or dispatcher's Redis backend not in `known`, or of its
 * `durability` not in {@link DurabilityOptions}: throws QueueConfigError at `<path>.<key>`.
 */
export function checkRedisBackendKeys(backend: ServiceRedisBackend, known: readonly string[], path: string): void {
  checkKnownKeys(backend, known, path);
  checkKnownKeys(backend.durability, DURABILITY_KEYS, `${path}.durability`);
}

/**
 * The target queues of a scheduler or dispatcher: the queues it was given and, on Redis, queues it
 * opens on demand (publish only, default options but `partitions`, on the same client) and closes with itself. On
 * memory every queue must be given (a queue in memory exists only as the object).
 */
export class QueueDirectory {
  private readonly given = new Map<string, TaskQueue>();
  private readonly owned = new Map<string, TaskQueue>();

  /**
   * @param owner  who uses the queues, for errors: `scheduler`, `dispatcher`
   * @param redis  the owner's Redis backend, where queues are opened on demand; none on memory
   * @param logger where the queues opened on demand log
   * @throws QueueConfigError at `<owner>.queues[i]` for something that is not a queue
   */
  constructor(
    queues: readonly TaskQueue[] | undefined,
    private readonly owner: string,
    private readonly redis?: ServiceRedisBackend,
    private readonly logger?: QueueLogger,
  ) {
    for (const [i, q] of (queues ?? []).entries()) {
      if (!q || typeof q.publish !== 'function' || typeof q.publishBatch !== 'function') throw new QueueConfigError(`${owner}.queues[${i}]`, q, 'a TaskQueue');
      this.given.set(q.name, q);
    }
  }

  /** The queue called `name`; throws {@link InvalidOptionError} at `path` for a bad name, or an unknown queue on memory. */
  get(name: string, path: string): TaskQueue {
    const known = this.given.get(name) ?? this.owned.get(name);
    if (known) return known;
    if (!this.redis) {
      throw new InvalidOptionError(path, name, `one of the queues given to the ${this.owner} (${[...this.given.keys()].join(', ') || 'none'})`);
    }
    checkQueueName(name, path, InvalidOptionError);
    const opened = createQueue({
      name,
      backend: { type: 'redis', client: this.redis.client, prefix: this.redis.queuePrefix },
      logger: this.logger,
      durability: this.redis.durability,
      // the layout its workers serve
      partitions: this.redis.queuePartitions?.(name) ?? 1,
    });
    this.owned.set(name, opened);
    return opened;
  }

  /** Whether `name` is one of the queues given (not one opened on demand). */
  isGiven(name: string): boolean {
    return this.given.has(name);
  }

  /** Closes the queues opened on demand (the given ones belong to the caller). */
  async closeOwned(): Promise<void> {
    await Promise.all([...this.owned.values()].map((q) => q.close()));
  }
}
