import { Provider } from '@nestjs/common';
import { QueueManager } from '@meeting/queue';
import { MEETING_REPOSITORY, TRANSCRIPT_REPOSITORY } from './meeting-store';
import { MemoryMeetingRepository } from './memory/memory-meeting.repository';
import { MemoryTranscriptRepository } from './memory/memory-transcript.repository';
import { RedisMeetingRepository } from './redis/redis-meeting.repository';
import { RedisTranscriptRepository } from './redis/redis-transcript.repository';

/** The repositories on the manager's Redis connection and `redis.key_prefix`; in memory when the service runs without Redis. */
export const STORE_PROVIDERS: Provider[] = [
  {
    provide: MEETING_REPOSITORY,
    inject: [QueueManager],
    useFactory: (queues: QueueManager) =>
      queues.redis ? new RedisMeetingRepository(queues.redis.take(), queues.config.redis.key_prefix) : new MemoryMeetingRepository(),
  },
  {
    provide: TRANSCRIPT_REPOSITORY,
    inject: [QueueManager],
    useFactory: (queues: QueueManager) =>
      queues.redis ? new RedisTranscriptRepository(queues.redis.take(), queues.config.redis.key_prefix) : new MemoryTranscriptRepository(),
  },
];
