import { Cluster } from 'ioredis';
import Redis from 'ioredis';
import type { QueueOptions } from '../../src';
import { MemoryQueueStore } from '../../src/queue/memory/memory-queue-store';
import { resolveQueueOptions } from '../../src/queue/queue-options';
import type { QueueStore } from '../../src/queue/queue-store';
import { QueueKeys } from '../../src/queue/redis/queue-keys';
import { RedisQueueStore } from '../../src/queue/redis/redis-queue-store';
import { StoreBackedQueue } from '../../src/queue/task-queue';
import { partitionOfId, partitionTags } from '../../src/queue/partitioned/partition-layout';
import { PartitionedQueueStore } from '../../src/queue/partitioned/partitioned-queue-store';

/** A backend under test: makes queues whose instances share storage by queue name. */
export interface QueueBackendFixture {
  readonly label: string;
  /** Partitions of every queue it makes (1: the single-slot store). */
  readonly partitions: number;
  /** A queue over the storage of `options.name` (two calls with one name = two workers of one queue). */
  create(options: QueueOptions): { queue: StoreBackedQueue; store: QueueStore };
  /** Puts an entry that is not a valid message into the normal tier. */
  injectGarbage(queueName: string, kind: 'missing-body' | 'bad-body'): Promise<string>;
  /**
   * The storage of `queueName` forgets everything, as a Redis restarted without persistence does
   * (the single-server fixture really kills and restarts its server; workers keep running).
   */
  loseData(queueName: string): Promise<void>;
  teardown(): Promise<void>;
}

function limitsOf(options: QueueOptions, partitions = 1) {
  const o = resolveQueueOptions({ partitions, ...options });
  return {
    resolved: o,
    limits: {
      groupConcurrency: o.groupConcurrency,
      deadLetterMaxSize: o.deadLetter.maxSize,
      deadLetterMaxAgeMs: o.deadLetter.maxAgeMs,
      completedCount: o.completedRetention.count,
      completedAgeMs: o.completedRetention.ageMs,
    },
  };
}

/** The store of a queue of `partitions` partitions (a {@link PartitionedQueueStore} over one store per tag, or the single store). */
function storeOf(name: string, partitions: number, single: (tag: string) => QueueStore): QueueStore {
  if (partitions === 1) return single(name);
  return new PartitionedQueueStore(partitionTags(name, partitions).map(single));
}

/** The single-slot stores under a queue's store (itself when it has one partition). */
export function partsOf(store: QueueStore): readonly QueueStore[] {
  return store instanceof PartitionedQueueStore ? store.parts : [store];
}

export function memoryFixture(partitions = 1): QueueBackendFixture {
  // one memory store per partition tag: two queues of one name share their partitions
  const stores = new Map<string, MemoryQueueStore>();
  const queues: StoreBackedQueue[] = [];
  const tagsOf = (name: string) => partitionTags(name, partitions);
  return {
    label: partitions === 1 ? 'memory' : `memory, ${partitions} partitions`,
    partitions,
    create(options) {
      const { resolved, limits } = limitsOf(options, partitions);
      const store = storeOf(options.name, resolved.partitions, (tag) => {
        let part = stores.get(tag);
        if (!part) stores.set(tag, (part = new MemoryQueueStore(limits, resolved.deadLetter.enabled)));
        return part;
      });
      const queue = new StoreBackedQueue(store, resolved);
      queues.push(queue);
      return { queue, store };
    },
    async injectGarbage(queueName, kind) {
      const id = `garbage-${kind}`;
      const tag = tagsOf(queueName)[partitions === 1 ? 0 : partitionOfId(id, partitions)];
      const { state } = stores.get(tag) as unknown as { state: { tiers: Array<{ push(id: string): void }>; msgs: Map<string, string> } };
      if (kind === 'bad-body') state.msgs.set(id, 'this is not a message');
      state.tiers[2].push(id);
      return id;
    },
    async loseData(queueName) {
      for (const tag of tagsOf(queueName)) {
        const { state } = stores.get(tag) as unknown as { state: Record<string, unknown> };
        const { resolved, limits } = limitsOf({ name: queueName });
        // every field of a fresh store's state except the waiting workers (they stay blocked on this one);
        // in place, since the store's parts (fetch, dead letters, inspection) share that state object
        const fresh = new MemoryQueueStore(limits, resolved.deadLetter.enabled) as unknown as { state: Record<string, unknown> };
        const { waiters: _waiters, ...empty } = fresh.state;
        Object.assign(state, empty);
      }
    },
    async teardown() {
      await Promise.all(queues.map((q) => q.close({ drainTimeoutMs: 100 })));
    },
  };
}

/**
 * `stopServer` runs after every queue is closed (closing needs the server). `restartEmpty` kills
 * the server and starts it again without its data; without it, loseData deletes the queue's keys.
 */
export function redisFixture(
  label: string,
  makeClient: () => Redis | Cluster,
  prefix: string,
  stopServer: () => Promise<void>,
  restartEmpty?: () => Promise<void>,
  partitions = 1,
): QueueBackendFixture {
  const client = makeClient();
  const queues: StoreBackedQueue[] = [];
  const keysOf = (name: string) => partitionTags(name, partitions).map((tag) => new QueueKeys(prefix, tag));
  return {
    label: partitions === 1 ? label : `${label}, ${partitions} partitions`,
    partitions,
    create(options) {
      const { resolved, limits } = limitsOf(options, partitions);
      const store = storeOf(
        options.name,
        resolved.partitions,
        (tag) => new RedisQueueStore({ client, prefix, name: options.name, tag, limits, deadLetterEnabled: resolved.deadLetter.enabled }),
      );
      const queue = new StoreBackedQueue(store, resolved);
      queues.push(queue);
      return { queue, store };
    },
    async injectGarbage(queueName, kind) {
      const id = `garbage-${kind}`;
      const keys = keysOf(queueName)[partitions === 1 ? 0 : partitionOfId(id, partitions)];
      if (kind === 'bad-body') await client.hset(keys.msgs, id, 'this is not a message');
      await client.rpush(keys.tiers[2], id);
      return id;
    },
    async loseData(queueName) {
      if (restartEmpty) return restartEmpty();
      // one DEL per partition (a Cluster refuses keys of several slots in one command)
      for (const keys of keysOf(queueName)) await client.del(...keys.all());
    },
    async teardown() {
      await Promise.all(queues.map((q) => q.close({ drainTimeoutMs: 100 })));
      client.disconnect();
      await stopServer();
    },
  };
}
