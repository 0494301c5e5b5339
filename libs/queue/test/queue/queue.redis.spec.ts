import { spawnRedis, uniquePrefix } from '../../src/testing';
import { redisFixture } from './queue-fixtures';
import { describeQueueConformance } from './queue.conformance';

describe('priority queue conformance: Redis backend', () => {
  describeQueueConformance(async () => {
    const server = await spawnRedis();
    return redisFixture(
      'redis',
      () => server.client(),
      uniquePrefix('conf'),
      () => server.cleanup(),
      async () => {
        // no persistence (spawnRedis default): the server comes back empty
        await server.kill();
        await server.restart();
      },
    );
  });
});
