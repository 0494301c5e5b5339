import { Provider } from '@nestjs/common';
import { QueueManager } from '@meeting/queue';
import { MemoryPresenceRepository } from './memory/memory-presence.repository';
import { PRESENCE_REPOSITORY } from './presence-repository';
import { RedisPresenceRepository } from './redis/redis-presence.repository';

/** Presence on the manager's Redis connection and `redis.key_prefix`; in memory without Redis. */
export const PRESENCE_PROVIDERS: Provider[] = [
  {
    provide: PRESENCE_REPOSITORY,
    inject: [QueueManager],
    useFactory: (queues: QueueManager) =>
      queues.redis ? new RedisPresenceRepository(queues.redis.take(), queues.config.redis.key_prefix) : new MemoryPresenceRepository(),
  },
];
