import type { Cluster } from 'ioredis';
import { createEventBus } from '../../src/events/create-event-bus';
import type { EventBus } from '../../src/events/event-bus';
import { createQueue } from '../../src/queue/create-queue';
import type { StoreBackedQueue } from '../../src/queue/task-queue';
import { createRedisClient, RedisClient } from '../../src/redis/redis-connection';
import type { RedisServerProcess } from '../../src/redis/redis-server-process';
import { spawnRedisCluster, TestRedisCluster, uniquePrefix } from '../../src/testing';
import { sleep, waitFor } from '../../src/testing/wait';
import { within } from '../../src/util/retry';
import { channelOn, queueNamePerMaster, waitForMarkedFailed } from './cluster-topology';
import { silentLogger } from './silent-logger';

/**
 * A master that stops answering without closing its connections (SIGSTOP: a paused VM, a stalled
 * process), unlike the SIGKILL of cluster-failover.spec.ts: the sockets to it stay open and
 * nothing fails on them. Its replica takes over after the cluster's node timeout; a queue worker
 * that was busy on that master, and a sharded pub/sub subscription of a channel on it, take what a
 * client made after the promotion publishes, while the old master is still frozen.
 */
describe('Redis Cluster: a master frozen (SIGSTOP) and replaced by its replica', () => {
  let cluster: TestRedisCluster | undefined;
  let victim: RedisServerProcess | undefined;
  const clients: RedisClient[] = [];
  const closers: Array<() => Promise<unknown>> = [];

  afterEach(async () => {
    // thawed first, so that closing does not wait on a frozen node
    await victim?.thaw();
    await Promise.all(closers.splice(0).map((close) => within(close(), 5000, 'close').catch(() => undefined)));
    clients.splice(0).forEach((client) => client.disconnect());
    await cluster?.cleanup();
    cluster = victim = undefined;
  });

  function open(seeds: RedisServerProcess[], queueName: string, prefix: string, publishTimeoutMs?: number): { queue: StoreBackedQueue; bus: EventBus } {
    const logger = silentLogger();
    const client = createRedisClient({ clusterNodes: seeds.map((n) => ({ host: n.host, port: n.port })), logger });
    client.on('error', () => undefined);
    clients.push(client);
    const queue = createQueue({ name: queueName, backend: { type: 'redis', client, prefix }, logger, publishTimeoutMs });
    const bus = createEventBus({ type: 'redis_pubsub', client, prefix: `${prefix}:ev`, serviceName: 'frozen', logger });
    closers.push(
      () => queue.close({ drainTimeoutMs: 500 }),
      () => bus.close({ drainTimeoutMs: 500 }),
    );
    return { queue, bus };
  }

  test('a busy worker and a sharded subscription resume on the promoted replica while the old master stays frozen', async () => {
    cluster = await spawnRedisCluster(3, { replicasPerMaster: 1, requireFullCoverage: false });
    const [queueName] = await queueNamePerMaster(cluster, 'frz');
    const prefix = uniquePrefix('frz');
    victim = cluster.nodes[0];
    const channel = await channelOn(victim, `${prefix}:ev`, 'c');

    const { queue, bus } = open(cluster.nodes, queueName, prefix);
    const processed = new Set<string>();
    queue.process<{ id: string }>(
      't',
      async (message) => {
        processed.add(message.payload.id);
        await sleep(5);
      },
      { concurrency: 4 },
    );
    const received: string[] = [];
    await bus.subscribe<string>(channel, (event) => void received.push(event.data));
    await bus.publish(channel, 't', 'before');
    await waitFor(() => received.includes('before'), 'the first event');
    await queue.publishBatch(Array.from({ length: 600 }, (_, i) => ({ type: 't', payload: { id: `b${i}` } })));
    await waitFor(() => processed.size >= 20, 'the worker busy on the backlog');

    await victim.freeze();
    const promoted = cluster.replicas[0];
    // every live node marks the old master failed (so a new client's slot map names the new one)
    await waitForMarkedFailed(cluster, victim);

    // A producer of its own, seeded without the frozen node. The slot map it reads still lists that
    // node, and ioredis sends its ready check (CLUSTER INFO) to a node picked at random: answered
    // by nobody, it held the client in 'connect', its publishes timing out (1 run in 3-6 beside CPU
    // burners) until cluster-ready-check.ts bounded it. A publish can still meet the frozen node
    // and time out ("may or may not have been stored"): published until one is accepted.
    const fresh = open([promoted, ...cluster.nodes.slice(1)], queueName, prefix, 2000);
    await waitFor(
      () =>
        fresh.queue.publish({ type: 't', payload: { id: 'after' } }).then(
          () => true,
          () => false,
        ),
      'a publish accepted after the promotion',
      30_000,
    ).catch((error: Error) => {
      // where the producer's client stood (status, and each node connection's)
      const client = clients[clients.length - 1] as Cluster;
      const nodes = client.nodes('all').map((node) => `${node.options.port}:${node.status}`);
      throw new Error(`${error.message}; client ${client.status}, nodes ${nodes.join(' ')}, frozen ${victim!.port}`);
    });
    await waitFor(
      async () => {
        // pub/sub is at-most-once: published until the subscription on the new master receives one
        await within(fresh.bus.publish(channel, 't', 'after'), 1000, 'publish').catch(() => undefined);
        return received.includes('after');
      },
      'the subscription receiving on the promoted replica',
      30_000,
      200,
    );
    // (the old master is thawed only after the test)
    await waitFor(() => processed.has('after'), 'the message published after the promotion processed', 30_000);
    expect(processed.has('b0')).toBe(true);
  }, 180_000);
});
