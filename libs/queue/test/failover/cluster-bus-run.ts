import { createEventBus } from '../../src/events/create-event-bus';
import type { RedisPubSubEventBus } from '../../src/events/redis-pubsub/redis-pubsub-bus';
import { createRedisClient, RedisClient } from '../../src/redis/redis-connection';
import { RedisClusterOptions, spawnRedisCluster, TestRedisCluster } from '../../src/testing';
import { silentLogger } from './silent-logger';

/**
 * A `redis_pubsub` bus on a throwaway Redis Cluster, for one test: `spawn` the Cluster, then
 * `openBus` on it (a Cluster client that ignores outage errors, a silent logger); `close`, from
 * `afterEach`, ends whatever was made, bus first, Cluster last.
 */
export class ClusterBusRun {
  private cluster?: TestRedisCluster;
  private client?: RedisClient;
  private bus?: RedisPubSubEventBus;

  async spawn(masters: number, options?: RedisClusterOptions): Promise<TestRedisCluster> {
    this.cluster = await spawnRedisCluster(masters, options);
    return this.cluster;
  }

  /** The bus on the spawned Cluster (`shardedPubSub` default true: SPUBLISH/SSUBSCRIBE). */
  openBus(options: { prefix: string; serviceName: string; shardedPubSub?: boolean }): RedisPubSubEventBus {
    if (!this.cluster) throw new Error('spawn the Cluster first');
    const logger = silentLogger();
    this.client = createRedisClient({ clusterNodes: this.cluster.nodes.map((n) => ({ host: n.host, port: n.port })), logger });
    this.client.on('error', () => undefined);
    this.bus = createEventBus({ type: 'redis_pubsub', client: this.client, ...options, logger });
    return this.bus;
  }

  async close(): Promise<void> {
    await this.bus?.close({ drainTimeoutMs: 500 }).catch(() => undefined);
    this.client?.disconnect();
    await this.cluster?.cleanup();
    this.cluster = this.client = this.bus = undefined;
  }
}
