import type { RedisClient } from '@meeting/queue';
import { MeetingSeq } from '../meeting-seq';

/** Retention of a meeting's counter after its last event (30 days). */
const TTL_SECONDS = 30 * 24 * 3600;

/**
 * One INCR per event on `<prefix>:meeting:{<meetingId>}:seq`: replicas on one Redis agree. The key
 * expires 30 days after the meeting's last event.
 */
export class RedisMeetingSeq extends MeetingSeq {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {
    super();
  }

  async next(meetingId: string): Promise<number> {
    const key = `${this.prefix}:meeting:{${meetingId}}:seq`;
    const replies = await this.redis.multi().incr(key).expire(key, TTL_SECONDS).exec();
    const [error, value] = replies?.[0] ?? [new Error('MULTI aborted'), null];
    if (error) throw error;
    return Number(value);
  }
}
