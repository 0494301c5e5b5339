import { Cluster } from 'ioredis';
import { spawnRedisCluster, TestRedisCluster, waitFor, quietLogger } from '../testing';
import { releaseShardedResetOnStop } from './cluster-sharded-reset';
import { closeShardedSubscriber, createRedisClient, duplicateShardedSubscriber } from './redis-connection';

/** The private parts of ioredis' sharded subscriber group the test looks at. */
interface Group {
  isResetting: boolean;
  shardedSubscribers: Map<string, { getInstance(): { stream?: { destroy(): void } } | null }>;
}

let cluster: TestRedisCluster;

beforeAll(async () => {
  cluster = await spawnRedisCluster(3);
});

afterAll(async () => {
  await cluster?.cleanup();
});

describe('releaseShardedResetOnStop', () => {
  it("sharded subscribers connect again when the client reconnects while ioredis' reset waits for a node (without it the group stayed frozen: nothing received, ever)", async () => {
    const client = createRedisClient({ clusterNodes: cluster.nodes.map((n) => ({ host: n.host, port: n.port })), logger: quietLogger }) as Cluster;
    const subscriber = duplicateShardedSubscriber(client);
    const received: string[] = [];
    subscriber.on('smessage', (_channel: string, message: string) => void received.push(message));
    const owner = cluster.nodes[0];
    try {
      // a channel whose slot the first master owns (slots 0-5460)
      let channel = '';
      for (let i = 0; !channel; i++) if (Number(await client.call('CLUSTER', 'KEYSLOT', `ch${i}`)) < 5461) channel = `ch${i}`;
      await subscriber.ssubscribe(channel);
      await client.spublish(channel, 'before');
      await waitFor(() => received.includes('before'), 'the first message');

      // the owner stops answering and the subscriber's connection to it drops: ioredis' reset
      // replaces that subscriber and waits for the new connection's handshake, which hangs
      const group = (subscriber as unknown as { shardedSubscribers: Group }).shardedSubscribers;
      const before = group.shardedSubscribers.get(`${owner.host}:${owner.port}`)?.getInstance();
      expect(before?.stream).toBeDefined();
      await owner.freeze();
      before?.stream?.destroy();
      await waitFor(() => group.isResetting, "ioredis' reset waiting for the owner", 10_000, 1);
      // what ioredis does itself when its slot map cannot be read from any node: reconnect
      subscriber.disconnect(true);
      await owner.thaw();

      await waitFor(
        async () => {
          await client.spublish(channel, 'after');
          return received.includes('after');
        },
        'the subscription receiving again after the reconnect',
        20_000,
        100,
      );
      expect(group.isResetting).toBe(false);
    } finally {
      await owner.thaw();
      await closeShardedSubscriber(subscriber, []);
      client.disconnect();
    }
  });

  it('leaves a Cluster client without sharded subscribers as it is', () => {
    const plain = new Cluster([{ host: '127.0.0.1', port: 6390 }], { lazyConnect: true });
    expect(releaseShardedResetOnStop(plain)).toBe(plain);
    expect((plain as unknown as { shardedSubscribers?: unknown }).shardedSubscribers).toBeUndefined();
    plain.disconnect();
  });
});
