import type { Cluster } from 'ioredis';
import { spawnRedisCluster, TestRedisCluster, uniquePrefix } from '../../testing';
import { createEventBus } from '../create-event-bus';
import type { EventBus } from '../event-bus';
import { ShardedPatternError } from '../event-errors';
import { waitFor } from '../testing/event-test-helpers';
import type { RedisStreamEventBus } from './redis-stream-bus';
import { StreamKeys } from './stream-keys';

/** The Redis buses on a 3-master Redis Cluster: a channel's keys share one hash tag, so its scripts run in one slot. */
describe('event buses on Redis Cluster', () => {
  let cluster: TestRedisCluster;
  let client: Cluster;
  const buses: EventBus[] = [];

  /**
   * Per node, in cluster order: subscribers of `channel` (SHARDNUMSUB), or the pub/sub messages the
   * node got over the cluster bus (a classic PUBLISH is broadcast to every other node).
   */
  const perNode = async (section: 'PUBSUB' | 'BUS', channel = ''): Promise<number[]> =>
    Promise.all(
      cluster.nodes.map(async (node) => {
        const admin = node.client();
        try {
          if (section === 'PUBSUB') return Number(((await admin.call('PUBSUB', 'SHARDNUMSUB', channel)) as unknown[])[1]);
          const info = (await admin.call('CLUSTER', 'INFO')) as string;
          return Number(/cluster_stats_messages_publish_received:(\d+)/.exec(info)?.[1] ?? 0);
        } finally {
          admin.disconnect();
        }
      }),
    );
  const sumSince = (before: number[], now: number[]) => now.reduce((sum, n, i) => sum + n - before[i], 0);

  beforeAll(async () => {
    cluster = await spawnRedisCluster(3);
    client = cluster.client();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close({ drainTimeoutMs: 500 })));
    client?.disconnect();
    await cluster?.cleanup();
  });

  it('redis_stream: publishes, consumes and dead-letters on channels in different slots', async () => {
    const prefix = uniquePrefix('cl');
    const bus: RedisStreamEventBus = createEventBus({
      type: 'redis_stream',
      client,
      prefix,
      serviceName: 'svc',
      consumerName: 'c1',
      claimIdleMs: 200,
      maxDeliveries: 2,
      blockMs: 500,
    });
    buses.push(bus);
    const channels = ['meeting_events', 'media_events', 'signaling_events'];
    const slots = await Promise.all(channels.map((c) => client.call('CLUSTER', 'KEYSLOT', new StreamKeys(prefix, c).stream)));
    expect(new Set(slots).size).toBeGreaterThan(1);
    expect(await client.call('CLUSTER', 'KEYSLOT', new StreamKeys(prefix, 'media_events').dead)).toBe(slots[1]);
    const got: string[] = [];
    for (const channel of channels) {
      await bus.subscribe(channel, (e) => {
        if (e.data === 'poison') throw new Error('bad');
        got.push(`${channel}:${e.data}`);
      });
    }
    for (const channel of channels)
      await bus.publishBatch(channel, [
        { type: 't', data: 1 },
        { type: 't', data: 2 },
      ]);
    await bus.publish('media_events', 't', 'poison');
    await waitFor(() => got.length === 6, 'six events across slots');
    expect(got.sort()).toEqual(channels.flatMap((c) => [`${c}:1`, `${c}:2`]).sort());
    await waitFor(async () => (await bus.deadLetters('media_events')).length === 1, 'dead letter in the channel slot', 15_000);
    const lags = await bus.lag(channels);
    expect(lags.map((l) => [l.channel, l.group])).toEqual(channels.map((c) => [c, 'svc']));
  });

  it('redis_stream with 4 partitions: the partition streams spread over the masters; per key, order holds; every partition is read', async () => {
    const prefix = uniquePrefix('clp');
    const make = (consumerName: string) =>
      createEventBus({ type: 'redis_stream', client, prefix, serviceName: 'svc', consumerName, blockMs: 500, workers: 1, partitions: 4 });
    const bus = make('c1');
    buses.push(bus);
    const streams = StreamKeys.partitions(prefix, 'meeting_events', 4).map((k) => k.stream);
    expect(streams[0]).toBe(new StreamKeys(prefix, 'meeting_events').stream);
    // the master of each partition: the node whose CLUSTER SHARDS slot range holds the stream's slot
    const per = Math.floor(16384 / cluster.nodes.length);
    const masters = await Promise.all(
      streams.map(async (s) => Math.min(cluster.nodes.length - 1, Math.floor(Number(await client.call('CLUSTER', 'KEYSLOT', s)) / per))),
    );
    expect(new Set(masters).size).toBeGreaterThan(1);
    const got = new Map<string, number[]>();
    await bus.subscribe<{ key: string; n: number }>('meeting_events', (e) => {
      const list = got.get(e.data.key) ?? [];
      list.push(e.data.n);
      got.set(e.data.key, list);
    });
    const keys = Array.from({ length: 12 }, (_, i) => `meeting-${i}`);
    // each key's events in sequence, the keys concurrently
    await Promise.all(
      keys.map(async (key) => {
        for (let n = 0; n < 20; n++) await bus.publish('meeting_events', 't', { key, n }, { partitionKey: key });
      }),
    );
    await waitFor(() => [...got.values()].reduce((sum, l) => sum + l.length, 0) === 240, 'all 240 events', 15_000);
    for (const key of keys) expect(got.get(key)).toEqual(Array.from({ length: 20 }, (_, n) => n));
    // one key, one stream; the keys used every partition
    const lengths = await Promise.all(streams.map((s) => client.xlen(s)));
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(240);
    expect(lengths.every((n) => n > 0 && n % 20 === 0)).toBe(true);
    // a consumer group per partition, with nothing left pending
    const lag = await bus.lag(['meeting_events']);
    expect(lag.map((l) => [l.partition, l.group, l.pending])).toEqual([0, 1, 2, 3].map((p) => [p, 'svc', 0]));
  });

  it('redis_pubsub, classic (shardedPubSub: false): delivers channel and pattern subscriptions', async () => {
    const prefix = uniquePrefix('cl');
    const bus = createEventBus({ type: 'redis_pubsub', client, prefix, serviceName: 'svc', shardedPubSub: false });
    buses.push(bus);
    const got: string[] = [];
    await bus.subscribe('meeting_events', (e) => void got.push(`exact:${e.data}`));
    await bus.subscribe('media.*', (e) => void got.push(`pattern:${e.data}`));
    const before = await perNode('BUS');
    await bus.publish('meeting_events', 't', 1);
    await bus.publish('media.video', 't', 2);
    await waitFor(() => got.length === 2, 'both delivered');
    expect(got.sort()).toEqual(['exact:1', 'pattern:2']);
    // Delivery can come before the broadcast reached the third node: wait for all of it (each
    // PUBLISH reaches the two other nodes), so the next test's counts start from a quiet bus.
    await waitFor(async () => sumSince(before, await perNode('BUS')) === 4, 'both broadcasts on every node');
  });

  it('redis_pubsub, sharded (default): a channel is subscribed on the master of its slot only, and an event is sent to that master only', async () => {
    const prefix = uniquePrefix('cl');
    const bus = createEventBus({ type: 'redis_pubsub', client, prefix, serviceName: 'svc' });
    buses.push(bus);
    expect(bus.sharded).toBe(true);
    const got: number[] = [];
    await bus.subscribe('meeting_events', (e) => void got.push(e.data as number));
    const channel = `${prefix}:meeting_events`;
    const subscribed = await perNode('PUBSUB', channel);
    expect(subscribed.filter((n) => n === 1)).toHaveLength(1);
    expect(subscribed.filter((n) => n === 0)).toHaveLength(2);
    const before = await perNode('BUS');
    await bus.publishBatch(
      'meeting_events',
      Array.from({ length: 50 }, (_, i) => ({ type: 't', data: i })),
    );
    await waitFor(() => got.length === 50, 'fifty delivered');
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i));
    // SPUBLISH stays on the owner (it has no replica here): no node got a pub/sub message over the cluster bus
    expect((await perNode('BUS')).map((n, i) => n - before[i])).toEqual([0, 0, 0]);
    // classic PUBLISH, for contrast: broadcast to the two other nodes
    const classic = createEventBus({ type: 'redis_pubsub', client, prefix, serviceName: 'svc', shardedPubSub: false });
    buses.push(classic);
    const beforeClassic = await perNode('BUS');
    await classic.publish('meeting_events', 't', 'x');
    await waitFor(async () => sumSince(beforeClassic, await perNode('BUS')) === 2, 'the classic PUBLISH broadcast to the two other nodes');
    await expect(bus.subscribe('media.*', () => undefined)).rejects.toBeInstanceOf(ShardedPatternError);
  });
});
