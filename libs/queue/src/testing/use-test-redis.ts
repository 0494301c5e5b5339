import type Redis from 'ioredis';
import { spawnRedis, testRedis } from './redis-harness';

/** What {@link useTestRedis} hands a test file; its members are usable from the file's `beforeAll` on. */
export interface TestRedisFixture {
  /** The server's URL. */
  readonly url: string;
  /** One client for the whole file, opened in `beforeAll`. */
  readonly client: Redis;
  /** Another client of the same server (a second replica, a subscriber); closed with the rest in `afterAll`. */
  newClient(): Redis;
}

type Hook = (fn: () => Promise<void>) => void;

/** {@link useTestRedis} misused: called outside a test file, or its Redis read before `beforeAll` ran. */
export class TestRedisFixtureError extends Error {
  override readonly name = 'TestRedisFixtureError';
}

/** Options of {@link useTestRedis}. */
export interface TestRedisFixtureOptions {
  /** Always a throwaway server of the file's own ({@link spawnRedis}), even when REDIS_URL is set. */
  spawn?: boolean;
}

/**
 * A Redis for the test file (see {@link testRedis}: REDIS_URL when set, else a spawned server; with
 * `spawn`, always a spawned one): registers a `beforeAll` that starts it and opens `client`, and an
 * `afterAll` that closes every client it handed out and stops the server. Call it at the top level
 * of the file or of a `describe`, before the hooks that use it; Jest runs `afterAll` hooks in the
 * order they were declared, so a teardown that still needs Redis must be declared before this call.
 */
export function useTestRedis(options: TestRedisFixtureOptions = {}): TestRedisFixture {
  const hooks = globalThis as { beforeAll?: Hook; afterAll?: Hook };
  if (typeof hooks.beforeAll !== 'function' || typeof hooks.afterAll !== 'function') {
    throw new TestRedisFixtureError(
      'useTestRedis() registers beforeAll/afterAll hooks: call it at the top level of a test file run by Jest (no global beforeAll/afterAll here)',
    );
  }
  let redis: Awaited<ReturnType<typeof testRedis>> | undefined;
  const clients: Redis[] = [];
  const started = () => {
    if (!redis) throw new TestRedisFixtureError('useTestRedis(): the Redis is not started yet (use it in tests and hooks, not while the file is collected)');
    return redis;
  };
  const open = () => {
    const client = started().client();
    clients.push(client);
    return client;
  };
  hooks.beforeAll(async () => {
    redis = options.spawn ? await spawned() : await testRedis();
    open();
  });
  hooks.afterAll(async () => {
    clients.splice(0).forEach((client) => client.disconnect());
    await redis?.cleanup();
  });
  return {
    get url() {
      return started().url;
    },
    get client() {
      started();
      return clients[0];
    },
    newClient: open,
  };
}

async function spawned(): Promise<Awaited<ReturnType<typeof testRedis>>> {
  const server = await spawnRedis();
  return { url: server.url, client: () => server.client(), cleanup: () => server.cleanup() };
}
