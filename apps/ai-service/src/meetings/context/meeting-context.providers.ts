import { Provider } from '@nestjs/common';
import { QueueManager } from '@meeting/queue';
import { MEETING_CONTEXT_REPOSITORY } from './meeting-context-repository';
import { MemoryMeetingContextRepository } from './memory/memory-meeting-context.repository';
import { RedisMeetingContextRepository } from './redis/redis-meeting-context.repository';

/** Contexts on the manager's Redis connection and `redis.key_prefix`; in memory without Redis. */
export const MEETING_CONTEXT_PROVIDERS: Provider[] = [
  {
    provide: MEETING_CONTEXT_REPOSITORY,
    inject: [QueueManager],
    useFactory: (queues: QueueManager) =>
      queues.redis ? new RedisMeetingContextRepository(queues.redis.take(), queues.config.redis.key_prefix) : new MemoryMeetingContextRepository(),
  },
];
