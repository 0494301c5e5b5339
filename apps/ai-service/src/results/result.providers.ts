import { Provider } from '@nestjs/common';
import { QueueManager } from '@meeting/queue';
import { MemoryResultRepository } from './memory/memory-result.repository';
import { RESULT_REPOSITORY } from './result-repository';
import { RedisResultRepository } from './redis/redis-result.repository';

/** Results on the manager's Redis connection and `redis.key_prefix`; in memory without Redis. */
export const RESULT_PROVIDERS: Provider[] = [
  {
    provide: RESULT_REPOSITORY,
    inject: [QueueManager],
    useFactory: (queues: QueueManager) =>
      queues.redis ? new RedisResultRepository(queues.redis.take(), queues.config.redis.key_prefix) : new MemoryResultRepository(),
  },
];
