import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { createRedisClient, RedisClient } from '@meeting/queue';
import { RedisServerHandle, spawnRedis, uniquePrefix, waitFor } from '@meeting/queue/testing';
import { RedisThrottlerStorage } from './redis/redis-throttler-storage';

/** The same behaviour from the Redis storage as from @nestjs/throttler's in-memory one. */
describe.each(['memory', 'redis'] as const)('ThrottlerStorage conformance: %s', (backend) => {
  let server: RedisServerHandle | undefined;
  let client: RedisClient | undefined;
  let storage: ThrottlerStorage;

  beforeAll(async () => {
    if (backend === 'redis') {
      server = await spawnRedis();
      client = createRedisClient({ url: server.url });
    }
  });

  beforeEach(() => {
    storage = backend === 'redis' ? new RedisThrottlerStorage(client!, uniquePrefix('thr')) : new ThrottlerStorageService();
  });

  afterAll(async () => {
    if (storage instanceof ThrottlerStorageService) storage.onApplicationShutdown();
    client?.disconnect();
    await server?.cleanup();
  });

  it('counts hits per key and throttler within the window', async () => {
    expect(await storage.increment('k', 60_000, 5, 60_000, 'default')).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(await storage.increment('k', 60_000, 5, 60_000, 'default')).toMatchObject({ totalHits: 2, isBlocked: false });
    expect(await storage.increment('other', 60_000, 5, 60_000, 'default')).toMatchObject({ totalHits: 1 });
    const record = await storage.increment('k', 60_000, 5, 60_000, 'default');
    expect(record.timeToExpire).toBeGreaterThan(0);
    expect(record.timeToExpire).toBeLessThanOrEqual(60);
  });

  it('blocks past the limit for the block duration', async () => {
    for (let i = 1; i <= 2; i++) expect((await storage.increment('b', 60_000, 2, 30_000, 'default')).isBlocked).toBe(false);
    const blocked = await storage.increment('b', 60_000, 2, 30_000, 'default');
    expect(blocked).toMatchObject({ isBlocked: true });
    expect(blocked.timeToBlockExpire).toBeGreaterThan(0);
    expect(blocked.timeToBlockExpire).toBeLessThanOrEqual(30);
    expect((await storage.increment('b', 60_000, 2, 30_000, 'default')).isBlocked).toBe(true);
  });

  it('starts a new window when the old one expired', async () => {
    for (let i = 0; i < 3; i++) await storage.increment('w', 150, 2, 150, 'default');
    await waitFor(async () => !(await storage.increment('w', 150, 100, 150, 'default')).isBlocked, 'the window and block to expire', 3000);
  });
});
