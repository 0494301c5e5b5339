/** QueueAdmin on a 3-master Redis Cluster: queues on every master, rate limits, groups, pub/sub. */
import type { Cluster } from 'ioredis';
import { createEventBus } from '../events/create-event-bus';
import { createQueue } from '../queue/create-queue';
import { spawnRedisCluster, TestRedisCluster, uniquePrefix, waitFor } from '../testing';
import { QueueAdmin, TailedEvent } from './queue-admin';
import { groupsSeenByAdmin, rateLimitsSeen, SLOW } from './testing/admin-scenarios';

describe('QueueAdmin on Redis Cluster', () => {
  let cluster: TestRedisCluster;
  let client: Cluster;

  beforeAll(async () => {
    cluster = await spawnRedisCluster(3);
    client = cluster.client();
  }, 60_000);

  afterAll(async () => {
    client?.disconnect();
    await cluster?.cleanup();
  });

  it('reads rate limits and parked messages of a queue in its own slot', async () => {
    const prefix = uniquePrefix('admcl');
    const admin = new QueueAdmin({ client, prefix, queueOptions: (name) => ({ name, rateLimits: { slow: SLOW } }) });
    const q = await rateLimitsSeen(
      (options) => createQueue({ ...options, name: 'limited', backend: { type: 'redis', client, prefix } }),
      (queue) => admin.rateLimits(queue.name),
    );
    const info = await admin.info('limited');
    expect(info.parked).toBe(4);
    // the parked messages are the only ones waiting in their tiers: the oldest ages see them
    expect(info.latency.oldestWaitingMs).toEqual({ critical: null, high: expect.any(Number), normal: expect.any(Number), low: null });
    await q.close({ drainTimeoutMs: 0 });
    await admin.close();
  });

  it('lists the groups of a queue in its own slot and sees grouped messages in the oldest ages', async () => {
    await groupsSeenByAdmin(client, uniquePrefix('admcl'), 'grouped');
  });

  it('merges the groups of a partitioned queue', async () => {
    await groupsSeenByAdmin(client, uniquePrefix('admcl'), 'parts', { partitions: 3 });
  });

  it('finds queues on every master and reads them', async () => {
    const prefix = uniquePrefix('admcl');
    const names = Array.from({ length: 12 }, (_, i) => `q${i}`);
    for (const name of names) {
      const q = createQueue({ name, backend: { type: 'redis', client, prefix } });
      await q.publish({ type: 't', priority: 'high' });
      await q.close();
    }
    const masters = new Set(await Promise.all(names.map((n) => client.cluster('KEYSLOT', `x{${n}}`)))).size;
    expect(masters).toBeGreaterThan(1);
    const admin = new QueueAdmin({ client, prefix });
    expect(await admin.listQueues()).toEqual([...names].sort());
    expect(await admin.exists('q7')).toBe(true);
    expect(await admin.exists('q99')).toBe(false);
    expect((await admin.overview()).every((i) => i.tiers.high === 1)).toBe(true);
    expect((await admin.peek('q3', 'high')).items).toHaveLength(1);
    // pub/sub: subscribers are per node (summed over every node: NUMSUB, and SHARDNUMSUB for the
    // sharded subscribers of the default bus on a Cluster), the sampler sees every publish of both kinds
    const bus = createEventBus({ type: 'redis_pubsub', client, prefix: `${prefix}:ev`, serviceName: 'svc' });
    const classic = createEventBus({ type: 'redis_pubsub', client, prefix: `${prefix}:ev`, serviceName: 'svc', shardedPubSub: false });
    expect([bus.sharded, classic.sharded]).toEqual([true, false]);
    await bus.subscribe('room.x', async () => undefined);
    await classic.subscribe('room.c', async () => undefined);
    const tailed: TailedEvent[] = [];
    const stopTail = await admin.tail('room.x', 'pubsub', (e) => tailed.push(e));
    await admin.pubsub({ sample: true });
    await bus.publish('room.x', 'room.y', {});
    await classic.publish('room.c', 'room.y', {});
    const channels = await waitFor(async () => {
      const o = await admin.pubsub({ sample: true });
      return o.channels.every((c) => c.published === 1) && o.channels.length === 2 && o.channels;
    }, 'the publishes counted');
    expect(channels).toEqual([
      expect.objectContaining({ channel: 'room.c', subscribers: 1, published: 1 }),
      // the bus (SSUBSCRIBE) and the tail (SUBSCRIBE and SSUBSCRIBE: it follows either kind); not the sampler
      expect.objectContaining({ channel: 'room.x', subscribers: 3, published: 1 }),
    ]);
    await waitFor(() => tailed.length === 1, 'the sharded event tailed');
    expect(tailed[0]).toMatchObject({ channel: 'room.x', event: { type: 'room.y' } });
    await stopTail();
    await Promise.all([bus.close(), classic.close()]);
    await admin.close();
  });
});
