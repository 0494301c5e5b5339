import type { Provider } from '@nestjs/common';
import { QueueManager } from '@meeting/queue';
import { MeetingSeq } from './meeting-seq';
import { MemoryMeetingSeq } from './memory/memory-meeting-seq';
import { RedisMeetingSeq } from './redis/redis-meeting-seq';

/** MeetingSeq on the manager's Redis when it has one (replicas agree), else in memory. */
export const meetingSeqProvider: Provider = {
  provide: MeetingSeq,
  inject: [QueueManager],
  useFactory: (queues: QueueManager): MeetingSeq =>
    queues.redis ? new RedisMeetingSeq(queues.redis.take(), queues.config.redis.key_prefix) : new MemoryMeetingSeq(),
};
