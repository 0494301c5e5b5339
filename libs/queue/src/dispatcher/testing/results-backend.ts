/** The results side of a dispatcher store, on memory or Redis, for the results consumer specs (not public API). */
import type { TestRedisFixture } from '../../testing';
import { uniquePrefix } from '../../testing';
import type { DispatcherStore, FinishInput, ProgressInput } from '../dispatcher-store';
import { MemoryDispatchHub, MemoryDispatcherStore } from '../memory/memory-dispatcher-store';
import { RedisDispatcherStore } from '../redis/redis-dispatcher-store';

/** The origin service of the entries. */
export const SERVICE = 'svc';

export interface ResultsBackend {
  store: DispatcherStore;
  /** Entries read and not acknowledged. */
  pending(): Promise<string[]>;
  /** Entry ids in write order. */
  written(): Promise<string[]>;
  /** Another instance of the service on the same results (a peer replica, or this one restarted). */
  peer(): ResultsBackend;
  close(): Promise<void>;
}

/** In memory: instances of one hub. */
export function memoryResultsBackend(hub = new MemoryDispatchHub(), ids: string[] = []): ResultsBackend {
  const store = new MemoryDispatcherStore(hub, SERVICE, 60_000, 10_000);
  const finish = store.finish.bind(store);
  const progress = store.progress.bind(store);
  // the memory store hands out no ids on write: the hub's counter is the entry id
  store.finish = async (input) => finish(input).finally(() => ids.push(String(hub.seq)));
  store.progress = async (input) => progress(input).finally(() => ids.push(String(hub.seq)));
  return {
    store,
    pending: async () => [...hub.resultsOf(SERVICE).pending.keys()],
    written: async () => ids,
    peer: () => memoryResultsBackend(hub, ids),
    close: () => store.close(),
  };
}

/** On Redis: instances sharing a key prefix, each on its own client; a peer claims what is idle past `claimIdleMs`. */
export function redisResultsBackend(
  redis: TestRedisFixture,
  claimIdleMs = 30_000,
  prefix = uniquePrefix('rc'),
): ResultsBackend & { redis: RedisDispatcherStore; prefix: string } {
  const client = redis.newClient();
  const store = new RedisDispatcherStore({ client, prefix, service: SERVICE, retentionMs: 60_000, resultsMaxLen: 10_000, claimIdleMs });
  return {
    store,
    redis: store,
    prefix,
    pending: async () => ((await redis.client.xpending(store.keys.results, SERVICE, '-', '+', 1000)) as Array<[string]>).map(([id]) => id),
    written: async () => (await redis.client.xrange(store.keys.results, '-', '+')).map(([id]) => id),
    peer: () => redisResultsBackend(redis, claimIdleMs, prefix),
    close: async () => {
      await store.close();
      client.disconnect();
    },
  };
}

/** A completed task's outcome of type `t` (its result: the task id). */
export const outcome = (taskId: string, webhookUrl?: string): FinishInput => ({
  origin: SERVICE,
  taskId,
  type: 't',
  ok: true,
  valueJson: JSON.stringify(taskId),
  attempts: 1,
  webhookUrl,
});

/** A progress report of a task of type `t`, for the results stream. */
export const report = (taskId: string, progress: number): ProgressInput => ({
  origin: SERVICE,
  taskId,
  type: 't',
  valueJson: String(progress),
  attempt: 1,
  toResults: true,
});
