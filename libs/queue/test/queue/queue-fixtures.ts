import { Cluster } from 'ioredis';
import Redis from 'ioredis';
import type { QueueOptions } from '../../src';
import { MemoryQueueStore } from '../../src/queue/memory/memory-queue-store';
import { resolveQueueOptions } from '../../src/queue/queue-options';
import type { QueueStore } from '../../src/queue/queue-store';
import { QueueKeys } from '../../src/queue/redis/queue-keys';
import { RedisQueueStore } from '../../src/queue/redis/redis-queue-store';
import { StoreBackedQueue } from '../../src/queue/task-queue';

/** A backend under test: makes queues whose instances share storage by queue name. */
export interface QueueBackendFixture {
  readonly label: string;
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

function limitsOf(options: QueueOptions) {
  const o = resolveQueueOptions(options);
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

export function memoryFixture(): QueueBackendFixture {
  const stores = new Map<string, MemoryQueueStore>();
  const queues: StoreBackedQueue[] = [];
  return {
    label: 'memory',
    create(options) {
      const { resolved, limits } = limitsOf(options);
      let store = stores.get(options.name);
      if (!store) stores.set(options.name, (store = new MemoryQueueStore(limits, resolved.deadLetter.enabled)));
      const queue = new StoreBackedQueue(store, resolved);
      queues.push(queue);
      return { queue, store };
    },
    async injectGarbage(queueName, kind) {
      const store = stores.get(queueName) as unknown as { tiers: Array<{ push(id: string): void }>; msgs: Map<string, string> };
      const id = `garbage-${kind}`;
      if (kind === 'bad-body') store.msgs.set(id, 'this is not a message');
      store.tiers[2].push(id);
      return id;
    },
    async loseData(queueName) {
      const store = stores.get(queueName)!;
      const { resolved, limits } = limitsOf({ name: queueName });
      // every field of a fresh store except the waiting workers (they stay blocked on this one)
      const { waiters: _waiters, ...empty } = new MemoryQueueStore(limits, resolved.deadLetter.enabled) as unknown as Record<string, unknown>;
      Object.assign(store, empty);
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
): QueueBackendFixture {
  const client = makeClient();
  const queues: StoreBackedQueue[] = [];
  return {
    label,
    create(options) {
      const { resolved, limits } = limitsOf(options);
      const store = new RedisQueueStore({ client, prefix, name: options.name, limits, deadLetterEnabled: resolved.deadLetter.enabled });
      const queue = new StoreBackedQueue(store, resolved);
      queues.push(queue);
      return { queue, store };
    },
    async injectGarbage(queueName, kind) {
      const keys = new QueueKeys(prefix, queueName);
      const id = `garbage-${kind}`;
      if (kind === 'bad-body') await client.hset(keys.msgs, id, 'this is not a message');
      await client.rpush(keys.tiers[2], id);
      return id;
    },
    async loseData(queueName) {
      if (restartEmpty) return restartEmpty();
      await client.del(...new QueueKeys(prefix, queueName).all());
    },
    async teardown() {
      await Promise.all(queues.map((q) => q.close({ drainTimeoutMs: 100 })));
      client.disconnect();
      await stopServer();
    },
  };
}
