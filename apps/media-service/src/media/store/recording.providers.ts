import { Provider } from '@nestjs/common';
import { QueueManager } from '@meeting/queue';
import { MemoryRecordingRepository } from './memory/memory-recording.repository';
import { RECORDING_REPOSITORY } from './recording-repository';
import { RedisRecordingRepository } from './redis/redis-recording.repository';

/** Recordings on the manager's Redis connection and `redis.key_prefix`; in memory without Redis. */
export const RECORDING_PROVIDERS: Provider[] = [
  {
    provide: RECORDING_REPOSITORY,
    inject: [QueueManager],
    useFactory: (queues: QueueManager) =>
      queues.redis ? new RedisRecordingRepository(queues.redis.take(), queues.config.redis.key_prefix) : new MemoryRecordingRepository(),
  },
];
