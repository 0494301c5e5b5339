import { RedisServerHandle, spawnRedis, uniquePrefix } from '../../src/testing';
import { redisFixture } from './queue-fixtures';
import { describeQueueConformance } from './queue.conformance';

describe('priority queue conformance: Redis backend', () => {
  let server: RedisServerHandle;
  afterAll(async () => server?.cleanup());
  describeQueueConformance(async () => {
    server = await spawnRedis();
    return redisFixture('redis', () => server.client(), uniquePrefix('conf'));
  });
});
