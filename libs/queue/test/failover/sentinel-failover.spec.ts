import { createEventBus } from '../../src/events/create-event-bus';
import type { EventBus } from '../../src/events/event-bus';
import { createRedisClient, RedisClient } from '../../src/redis/redis-connection';
import { spawnRedisSentinel, TestRedisSentinel, uniquePrefix } from '../../src/testing';
import { runQueueFailover } from './failover-scenario';
import { killWithLaggingReplicas, waitForSentinelFailover } from './sentinel-topology';
import { silentLogger } from './silent-logger';

/**
 * Issue 13, "Sentinel failover": a master, two replicas and three sentinels; producers and workers
 * connected through the sentinels; the master SIGKILLed mid-run while its replicas lag (frozen for
 * 300 ms). With `durability: { replicas: 1 }` no acknowledged message is lost (without it, the
 * messages acknowledged in those 300 ms are: bench/failover.ts, topology `sentinel-lag`). Figures of a full-size run: bench/failover.ts -> docs/guarantees.md.
 */
describe('Sentinel failover (master + 2 replicas + 3 sentinels, SIGKILL of the master)', () => {
  let set: TestRedisSentinel | undefined;
  let client: RedisClient | undefined;
  const buses: EventBus[] = [];
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((bus) => bus.close({ drainTimeoutMs: 500 }).catch(() => undefined)));
    client?.disconnect();
    await set?.cleanup();
    set = undefined;
    client = undefined;
  });

  test('with durability: no acknowledged message lost, no raw errors, clients resume on the new master', async () => {
    set = await spawnRedisSentinel();
    const logger = silentLogger();
    client = createRedisClient({ sentinels: set.sentinelNodes, sentinelName: set.name, logger });
    client.on('error', () => undefined);
    const pubsub = createEventBus({ type: 'redis_pubsub', client, prefix: uniquePrefix('sfo-ev'), serviceName: 'fo', logger });
    const stream = createEventBus({ type: 'redis_stream', client, prefix: uniquePrefix('sfo-st'), serviceName: 'fo', blockMs: 500, logger });
    buses.push(pubsub, stream);
    const figures = await runQueueFailover({
      buses: [
        { name: 'redis_pubsub', bus: pubsub },
        { name: 'redis_stream', bus: stream },
      ],
      queues: ['so0', 'so1'],
      messages: 1500,
      killAfter: 300,
      publishersPerQueue: 2,
      paceMs: 10,
      client,
      prefix: uniquePrefix('sfo'),
      // The replicas lag 300 ms when the master dies: what it acknowledged meanwhile is not on them.
      kill: () => killWithLaggingReplicas(set!.master, set!.replicas, 300),
      // A backlog: messages wait in Redis until the failover is over, so a lost one is missing.
      deferWorkers: true,
      afterKill: (mark) => waitForSentinelFailover(set!, mark),
      durability: { replicas: 1, timeoutMs: 1000 },
      publishTimeoutMs: 30_000,
      logger,
    });
    if (process.env.FAILOVER_FIGURES) process.stdout.write(`${JSON.stringify(figures)}\n`);
    expect(figures.rawErrors).toEqual([]);
    expect(figures.lost).toBe(0);
    expect(figures.resumeMs).toBeGreaterThanOrEqual(0);
    expect(figures.acknowledged).toBeGreaterThan(figures.killedAtAck);
    // Pub/sub and stream subscribers connected through the sentinels resumed on the new master.
    for (const bus of figures.buses) {
      expect(bus.acknowledged).toBeGreaterThan(0);
      expect(bus.deliveredAfterOutage).toBeGreaterThan(0);
    }
  }, 180_000);
});
