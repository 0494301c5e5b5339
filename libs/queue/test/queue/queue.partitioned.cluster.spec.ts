import { spawnRedisCluster, uniquePrefix } from '../../src/testing';
import { redisFixture } from './queue-fixtures';
import { describeQueueConformance } from './queue.conformance';

describe('priority queue conformance: Redis Cluster (3 masters), 4 partitions', () => {
  describeQueueConformance(async () => {
    const cluster = await spawnRedisCluster(3);
    return redisFixture(
      'cluster',
      () => cluster.client(),
      uniquePrefix('cpart'),
      () => cluster.cleanup(),
      undefined,
      4,
    );
  }, 4);
});
