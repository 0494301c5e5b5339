import { createEventBus } from '../../src/events/create-event-bus';
import type { EventBus } from '../../src/events/event-bus';
import { StreamKeys } from '../../src/events/redis-stream/stream-keys';
import { createRedisClient, RedisClient } from '../../src/redis/redis-connection';
import { spawnRedisCluster, TestRedisCluster, uniquePrefix } from '../../src/testing';
import { masterIndexOf, queueNamePerMaster, waitForClusterFailover } from './cluster-topology';
import { runQueueFailover } from './failover-scenario';
import { killWithLaggingReplicas } from './sentinel-topology';
import { silentLogger } from './silent-logger';

/**
 * Issue 13, "Redis Cluster failover": 3 masters + 3 replicas, one queue on each master, one master
 * SIGKILLed mid-run. Publishes, acks and workers wait the failover out (bounded by the publish
 * timeout) instead of failing with raw "Too many Cluster redirections" / "CLUSTERDOWN" errors;
 * with `durability: { replicas: 1 }` no acknowledged message is lost; the queues on the other
 * masters keep going. A stream bus and a sharded pub/sub bus on the same client go on too: the
 * stream of their channel is on the master killed. Figures of a full-size run: bench/failover.ts ->
 * docs/guarantees.md.
 */
describe('Redis Cluster failover (3 masters + 3 replicas, SIGKILL of one master)', () => {
  let cluster: TestRedisCluster | undefined;
  let client: RedisClient | undefined;
  const buses: EventBus[] = [];
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((bus) => bus.close({ drainTimeoutMs: 500 }).catch(() => undefined)));
    client?.disconnect();
    await cluster?.cleanup();
    cluster = undefined;
    client = undefined;
  });

  test('with durability: no acknowledged message lost, no raw errors, the other masters keep working', async () => {
    cluster = await spawnRedisCluster(3, { replicasPerMaster: 1 });
    const logger = silentLogger();
    client = createRedisClient({ clusterNodes: cluster.nodes.map((n) => ({ host: n.host, port: n.port })), logger });
    client.on('error', () => undefined);
    const streamPrefix = uniquePrefix('cfo-st');
    // the master killed serves the buses' stream (channel "failover", its hash tag), and comes first
    const v = await masterIndexOf(cluster, new StreamKeys(streamPrefix, 'failover').stream);
    const queues = await queueNamePerMaster(cluster);
    queues.unshift(...queues.splice(v, 1));
    const victim = cluster.nodes[v];
    const pubsub = createEventBus({ type: 'redis_pubsub', client, prefix: uniquePrefix('cfo-ev'), serviceName: 'fo', logger });
    const stream = createEventBus({ type: 'redis_stream', client, prefix: streamPrefix, serviceName: 'fo', blockMs: 500, logger });
    buses.push(pubsub, stream);
    const figures = await runQueueFailover({
      buses: [
        { name: 'redis_pubsub', bus: pubsub },
        { name: 'redis_stream', bus: stream },
      ],
      queues,
      messages: 1500,
      killAfter: 300,
      publishersPerQueue: 2,
      paceMs: 10,
      client,
      prefix: uniquePrefix('cfo'),
      // Its replica lags 300 ms when the master dies: what the master acknowledged meanwhile is not on it.
      kill: () => killWithLaggingReplicas(victim, [cluster!.replicas[v]], 300),
      // The failed master's queue keeps a backlog until the failover is over (a lost message is missing,
      // not already processed); the other queues' workers run throughout.
      deferWorkers: [queues[0]],
      afterKill: (mark) => waitForClusterFailover(cluster!, victim, mark),
      durability: { replicas: 1, timeoutMs: 1000 },
      publishTimeoutMs: 30_000,
      logger,
    });
    if (process.env.FAILOVER_FIGURES) process.stdout.write(`${JSON.stringify(figures)}\n`);
    expect(figures.rawErrors).toEqual([]);
    expect(Object.keys(figures.rejected).filter((name) => name !== 'DurabilityTimeoutError' && name !== 'PublishTimeoutError')).toEqual([]);
    expect(figures.lost).toBe(0);
    // The queue on the killed master resumed on its new master.
    expect(figures.resumeMs).toBeGreaterThanOrEqual(0);
    // The queues on the two other masters were acknowledged while the failover ran.
    expect(figures.stalls.slice(1).every((s) => s.acknowledgedDuringOutage > 0)).toBe(true);
    // The buses' subscribers went on after the failover (the stream's on its new master).
    for (const bus of figures.buses) {
      expect(bus.acknowledged).toBeGreaterThan(0);
      expect(bus.deliveredAfterOutage).toBeGreaterThan(0);
    }
  }, 180_000);
});
