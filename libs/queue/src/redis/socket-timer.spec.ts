/**
 * The socket timeout of a connection that owes replies (socket-timer.ts): cut off when Redis
 * answers nothing for `socketTimeoutMs`, plus 1 ms per OWED_CHARS_PER_MS characters owed, so a
 * large command Redis takes long to receive and run is answered rather than cut off and sent again
 * for good. Redis is held with `CLIENT PAUSE` (it postpones every command, `CLIENT UNPAUSE` too).
 */
import type Redis from 'ioredis';
import { RedisServerHandle, spawnRedis, waitFor, quietLogger } from '../testing';
import { createRedisClient } from './redis-connection';
import { OWED_CHARS_PER_MS } from './socket-timer';

const SOCKET_TIMEOUT_MS = 300;

describe('the socket timeout of a connection that owes replies', () => {
  let server: RedisServerHandle;
  let admin: Redis;
  beforeAll(async () => {
    server = await spawnRedis();
    admin = server.client();
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.cleanup();
  });

  /** A client with a short socket timeout, ready, counting the times its socket closed. */
  async function client(): Promise<{ redis: Redis; closes: () => number }> {
    const redis = createRedisClient({ url: server.url, socketTimeoutMs: SOCKET_TIMEOUT_MS, logger: quietLogger }) as Redis;
    await redis.ping();
    let closes = 0;
    redis.on('close', () => closes++);
    return { redis, closes: () => closes };
  }

  /** Holds every other client's commands for `ms`; resolves once the pause is on. */
  const pause = (ms: number) => admin.client('PAUSE', ms, 'ALL');
  /** Resolves once Redis answers again (the pause is over). */
  const pauseOver = () => waitFor(async () => (await admin.ping()) === 'PONG', 'the pause to end');

  it('is lengthened for a large command owed: answered on the same socket, not cut off and sent again (it was, for good)', async () => {
    const { redis, closes } = await client();
    const chars = 8 * 1024 * 1024; // 2,097 ms more: the pause of 1 s is within, the bare 300 ms is not
    expect(SOCKET_TIMEOUT_MS + chars / OWED_CHARS_PER_MS).toBeGreaterThan(2000);
    await pause(1000);
    await expect(redis.set('large', 'x'.repeat(chars))).resolves.toBe('OK');
    expect(closes()).toBe(0);
    expect(await redis.strlen('large')).toBe(chars);
    redis.disconnect();
  });

  it('still cuts off a connection owing only small commands after socketTimeoutMs, and sends them again', async () => {
    const { redis, closes } = await client();
    await pause(3000);
    const reply = redis.ping();
    await waitFor(() => closes() > 0, 'the socket to be cut off while Redis is paused');
    await expect(reply).resolves.toBe('PONG');
    await pauseOver();
    redis.disconnect();
  });

  it('cuts off a large command too once its allowance is spent', async () => {
    const { redis, closes } = await client();
    const chars = 1024 * 1024; // 262 ms more: 562 ms in all, the pause is 3 s
    await pause(3000);
    const reply = redis.set('large', 'y'.repeat(chars));
    await waitFor(() => closes() > 0, 'the socket to be cut off while Redis is paused');
    await expect(reply).resolves.toBe('OK');
    await pauseOver();
    redis.disconnect();
  });
});
