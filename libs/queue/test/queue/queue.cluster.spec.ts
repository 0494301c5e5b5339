import { spawnRedisCluster, TestRedisCluster, uniquePrefix } from '../../src/testing';
import { redisFixture } from './queue-fixtures';
import { describeQueueConformance } from './queue.conformance';

describe('priority queue conformance: Redis Cluster (3 masters)', () => {
  let cluster: TestRedisCluster;
  afterAll(async () => cluster?.cleanup());
  describeQueueConformance(async () => {
    cluster = await spawnRedisCluster(3);
    return redisFixture('cluster', () => cluster.client(), uniquePrefix('cluster'));
  });
});
