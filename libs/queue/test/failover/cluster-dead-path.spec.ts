import { Cluster } from 'ioredis';
import { createEventBus } from '../../src/events/create-event-bus';
import type { EventBus } from '../../src/events/event-bus';
import { clusterClientOptions } from '../../src/redis/cluster-options';
import { createRedisClient, RedisClient } from '../../src/redis/redis-connection';
import { spawnRedisCluster, TestRedisCluster, uniquePrefix } from '../../src/testing';
import { within } from '../../src/util/retry';
import { FreezingProxy } from '../support/freezing-proxy';
import { waitFor } from '../support/wait';
import { silentLogger } from './silent-logger';

/**
 * dead-path.spec.ts on a Redis Cluster, for the subscriber connections ioredis keeps apart from a
 * Cluster client's node connections (the classic one on a node it picks, a sharded one per
 * master). A Cluster client's PING never reaches them, and the classic one is made without the
 * client's socket timeout and keepalive: on a path that went dead without a reset (here a proxy per
 * node, reached through the client's `natMap`, that stops passing bytes on its open connections)
 * the bus heard nothing more, for good. Now each one is PINGed every socket timeout and replaced
 * when it does not answer (redis/subscriber-check.ts).
 */
describe('a dead path to every Cluster node under a pub/sub bus (no reset reaches the client; a new connection works)', () => {
  let cluster: TestRedisCluster | undefined;
  let proxies: FreezingProxy[] = [];
  const clients: RedisClient[] = [];
  const buses: EventBus[] = [];

  afterEach(async () => {
    await Promise.all(buses.splice(0).map((bus) => within(bus.close({ drainTimeoutMs: 100 }), 5000, 'close').catch(() => undefined)));
    clients.splice(0).forEach((c) => c.disconnect());
    await Promise.all(proxies.map((p) => p.close()));
    await cluster?.cleanup();
    cluster = undefined;
    proxies = [];
  });

  /** A Cluster client whose every node connection goes through that node's proxy, socket timeout 1 s. */
  async function throughProxies(): Promise<Cluster> {
    cluster = await spawnRedisCluster(3);
    proxies = await Promise.all(cluster.nodes.map((n) => FreezingProxy.start({ host: n.host, port: n.port })));
    const natMap = Object.fromEntries(cluster.nodes.map((n, i) => [`${n.host}:${n.port}`, { host: '127.0.0.1', port: proxies[i].port }]));
    const client = new Cluster(
      proxies.map((p) => ({ host: '127.0.0.1', port: p.port })),
      { ...clusterClientOptions({ socketTimeout: 1000, maxRetriesPerRequest: null, disconnectTimeout: 100 }), natMap },
    );
    client.on('error', () => undefined);
    clients.push(client);
    return client;
  }

  function direct(): RedisClient {
    const client = createRedisClient({ clusterNodes: cluster!.nodes.map((n) => ({ host: n.host, port: n.port })), logger: silentLogger() });
    client.on('error', () => undefined);
    clients.push(client);
    return client;
  }

  test.each([
    ['classic (SUBSCRIBE on a node ioredis picks)', false],
    ['sharded (SSUBSCRIBE on each master)', true],
  ])(
    'a %s subscriber hears again what is published after',
    async (_name, shardedPubSub) => {
      const client = await throughProxies();
      const prefix = uniquePrefix('cdeadpath');
      const heard: Array<{ channel: string; n: number }> = [];
      const subscriber = createEventBus({ type: 'redis_pubsub', client, prefix, serviceName: 's', shardedPubSub, logger: silentLogger() });
      buses.push(subscriber);
      // channels on more than one master: each sharded subscriber connection must come back
      const channels = ['room-a', 'room-b', 'room-c', 'room-d'];
      for (const channel of channels) await subscriber.subscribe<number>(channel, (event) => void heard.push({ channel, n: event.data }));
      const publisher = createEventBus({ type: 'redis_pubsub', client: direct(), prefix, serviceName: 'p', shardedPubSub, logger: silentLogger() });
      buses.push(publisher);
      const publishToAll = (n: number) => Promise.all(channels.map((channel) => publisher.publish(channel, 'tick', n)));
      /** The channels an event published at or after round `mark` reached the bus on. */
      const channelsHeard = (mark: number) => new Set(heard.filter((h) => h.n >= mark).map((h) => h.channel)).size;
      await waitFor(async () => (await publishToAll(0), channelsHeard(0) === channels.length), 'the first events');
      const accepted = proxies.reduce((sum, p) => sum + p.accepted, 0);
      for (const proxy of proxies) proxy.freeze();
      // at most once: what is published while the path is dead is lost; once the subscriber
      // connections are replaced, each channel's events reach the bus again
      let n = 0;
      await waitFor(
        async () => (await publishToAll(++n), channelsHeard(1) === channels.length),
        'an event on every channel published after the path died',
        20_000,
        100,
      );
      expect(proxies.reduce((sum, p) => sum + p.accepted, 0)).toBeGreaterThan(accepted);
    },
    90_000,
  );
});
