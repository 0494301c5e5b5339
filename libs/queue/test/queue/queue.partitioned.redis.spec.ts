import { spawnRedis, uniquePrefix } from '../../src/testing';
import { redisFixture } from './queue-fixtures';
import { describeQueueConformance } from './queue.conformance';

describe('priority queue conformance: single Redis, 4 partitions (legal, no spread)', () => {
  describeQueueConformance(async () => {
    const server = await spawnRedis();
    return redisFixture(
      'redis',
      () => server.client(),
      uniquePrefix('part'),
      () => server.cleanup(),
      async () => {
        await server.kill();
        await server.restart();
      },
      4,
    );
  }, 4);
});
