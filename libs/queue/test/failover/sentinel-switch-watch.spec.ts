import type Redis from 'ioredis';
import { createRedisClient, duplicateClient, RedisClient } from '../../src/redis/redis-connection';
import { spawnRedisSentinel, TestRedisSentinel } from '../../src/testing';
import { waitFor } from '../../src/testing/wait';
import { silentLogger } from './silent-logger';

/**
 * The connections a process makes to a Sentinel-managed master listen for `+switch-master`
 * together: one subscriber per Sentinel, where ioredis' `failoverDetector` opened one per Sentinel
 * for every connection (5 connections, 3 Sentinels: 15). That they reconnect to a new master on
 * the announcement is sentinel-frozen-master.spec.ts.
 */
describe('Sentinel: one +switch-master watch per process and master', () => {
  let set: TestRedisSentinel | undefined;
  const clients: RedisClient[] = [];
  const admins: Redis[] = [];

  afterEach(async () => {
    clients.splice(0).forEach((c) => c.disconnect());
    admins.splice(0).forEach((a) => a.disconnect());
    await set?.cleanup();
    set = undefined;
  });

  /** Per Sentinel, its clients subscribed to something (CLIENT LIST, `sub=` above 0). */
  async function subscribersPerSentinel(): Promise<number[]> {
    return Promise.all(
      admins.map(
        async (admin) =>
          String(await admin.call('CLIENT', 'LIST'))
            .split('\n')
            .filter((line) => /\bsub=[1-9]/.test(line)).length,
      ),
    );
  }

  test('five connections share one subscriber per Sentinel, closed with the last connection', async () => {
    set = await spawnRedisSentinel();
    admins.push(...set.sentinels.map((s) => s.client()));
    const client = createRedisClient({ sentinels: set.sentinelNodes, sentinelName: set.name, logger: silentLogger() });
    client.on('error', () => undefined);
    clients.push(client, ...[1, 2, 3, 4].map(() => duplicateClient(client)));
    await Promise.all(clients.map((c) => c.ping()));
    await waitFor(async () => (await subscribersPerSentinel()).every((n) => n === 1), 'one subscriber on each Sentinel');

    clients.splice(1).forEach((c) => c.disconnect());
    expect(await subscribersPerSentinel()).toEqual([1, 1, 1]);
    clients.splice(0).forEach((c) => c.disconnect());
    await waitFor(async () => (await subscribersPerSentinel()).every((n) => n === 0), 'the subscribers closed with the last connection');
  }, 60_000);
});
