import type Redis from 'ioredis';
import { createRedisClient, duplicateClient, RedisClient } from '../../src/redis/redis-connection';
import { spawnRedis, spawnRedisSentinel, RedisServerHandle, TestRedisSentinel } from '../../src/testing';
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
  let announcer: RedisServerHandle | undefined;
  const clients: RedisClient[] = [];
  const admins: Redis[] = [];

  afterEach(async () => {
    clients.splice(0).forEach((c) => c.disconnect());
    admins.splice(0).forEach((a) => a.disconnect());
    await set?.cleanup();
    await announcer?.cleanup();
    set = undefined;
    announcer = undefined;
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

  /**
   * Sentinels accept no PUBLISH from a client, so the announcements come from a plain redis-server
   * listed as a fourth "Sentinel": the real ones answer where the master is, the watch subscribes to
   * all four. Announcements for another master name are ignored; the same announcement (each
   * Sentinel sends it, at different times) reconnects each connection once, however late it comes.
   */
  test('acts on its master name only, once per announcement', async () => {
    set = await spawnRedisSentinel({ replicas: 1 });
    announcer = await spawnRedis();
    const fake = { host: announcer.host, port: announcer.port };
    const client = createRedisClient({ sentinels: [...set.sentinelNodes, fake], sentinelName: set.name, logger: silentLogger() });
    client.on('error', () => undefined);
    clients.push(client, duplicateClient(client));
    await Promise.all(clients.map((c) => c.ping()));
    const publisher = announcer.client();
    admins.push(publisher);
    await waitFor(async () => (await publisher.pubsub('NUMSUB', '+switch-master'))[1] === 1, 'the watch subscribed on the fourth "Sentinel"');

    const reconnects = clients.map((c) => jest.spyOn(c, 'disconnect'));
    const connects = clients.map((c) => {
      const seen = { count: 0 };
      c.on('ready', () => seen.count++);
      return seen;
    });
    const master = `${set.master.host} ${set.master.port}`;
    const first = `${set.name} ${master} ${master}`;
    expect(await publisher.publish('+switch-master', first)).toBe(1);
    await waitFor(() => connects.every((seen) => seen.count === 1), 'each connection ready again after the announcement');
    expect(reconnects.map((spy) => spy.mock.calls)).toEqual([[[true]], [[true]]]);

    // One write, so that the watch reads the three in one go while the connections are still ready:
    // each one not ignored would reconnect them.
    const results = await publisher
      .multi()
      .publish('+switch-master', first) // a later Sentinel's copy of the first announcement
      .publish('+switch-master', `other-${set.name} ${master} ${master}`) // another master's switch
      .publish('+switch-master', `${set.name} ${master} ${set.replicas[0].host} ${set.replicas[0].port}`) // a new one
      .exec();
    expect(results?.map(([error, receivers]) => [error, receivers])).toEqual([
      [null, 1],
      [null, 1],
      [null, 1],
    ]);
    await waitFor(() => connects.every((seen) => seen.count === 2), 'each connection ready again after the new announcement');
    expect(reconnects.map((spy) => spy.mock.calls)).toEqual([
      [[true], [true]],
      [[true], [true]],
    ]);
    await Promise.all(clients.map((c) => c.ping()));
  }, 60_000);
});
