import { createHook } from 'async_hooks';
import type Redis from 'ioredis';
import { parseConfig } from '../config';
import { ConfigValidationError } from '../config/config-errors';
import { DEFAULT_SOCKET_TIMEOUT_MS } from '../redis/redis-connection';
import { RedisServerHandle, spawnRedis, quietLogger } from '../testing';
import { RedisConnections, redisConnectionOptions } from './redis-connections';

/** Two command connections to `url`, with a logger that drops the line they log when they open. */
function openOn(url: string): Promise<RedisConnections> {
  return RedisConnections.open(parseConfig({ service_name: 'close-test', redis: { url, pool: { size: 2 } } }, { env: {} }), quietLogger);
}

/**
 * Runs `work` and returns how many timers it created that are still pending once it resolved
 * (neither fired nor cleared): each would keep the process alive after close() returned, the
 * cause of Jest's "A worker process has failed to exit gracefully" in the apps' e2e suites.
 */
async function timersLeftBy(work: () => Promise<void>): Promise<number> {
  const pending = new Set<number>();
  const hook = createHook({
    init: (id, type) => {
      if (type === 'Timeout') pending.add(id);
    },
    destroy: (id) => pending.delete(id),
  });
  hook.enable();
  try {
    await work();
    // destroy hooks of cleared timers are emitted asynchronously: let them run
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    hook.disable();
  }
  return pending.size;
}

describe('RedisConnections.close', () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await spawnRedis();
  });
  afterAll(() => server.cleanup());

  it('ends every connection and leaves no timer running when Redis answers', async () => {
    const connections = await openOn(server.url);
    expect(await timersLeftBy(() => connections.close())).toBe(0);
    expect(connections.states().map((s) => s.status)).toEqual(['end', 'end']);
  });

  it('closes when Redis is gone; the fallback timer ioredis then leaves pending is shorter than 500 ms', async () => {
    const own = await spawnRedis();
    try {
      const connections = await openOn(own.url);
      await own.kill();
      // QUIT cannot be sent: each connection is disconnected, and ioredis arms its fallback timer
      // (disconnectTimeout) on a socket that had already closed, so nothing but firing ends it.
      // close() still returns (each step is bounded); the connections never report 'end' then.
      await connections.close();
      expect(connections.states().map((s) => s.status)).not.toContain('ready');
      for (const client of connections.clients) expect((client as Redis).options.disconnectTimeout).toBeLessThan(500);
    } finally {
      await own.cleanup();
    }
  });
});

describe('redisConnectionOptions (the redis section in createRedisClient terms)', () => {
  test('redis.socket_timeout_ms: the default, a value, 0 (off)', () => {
    expect(redisConnectionOptions(parseConfig({}, { env: {} })).socketTimeoutMs).toBe(DEFAULT_SOCKET_TIMEOUT_MS);
    expect(redisConnectionOptions(parseConfig({ redis: { socket_timeout_ms: 2500 } }, { env: {} })).socketTimeoutMs).toBe(2500);
    expect(redisConnectionOptions(parseConfig({ redis: { socket_timeout_ms: 0 } }, { env: {} })).socketTimeoutMs).toBe(0);
  });

  test('a negative redis.socket_timeout_ms is refused naming the key', () => {
    expect(() => parseConfig({ redis: { socket_timeout_ms: -1 } }, { env: {} })).toThrow(ConfigValidationError);
    expect(() => parseConfig({ redis: { socket_timeout_ms: -1 } }, { env: {} })).toThrow(/redis\.socket_timeout_ms/);
  });
});
