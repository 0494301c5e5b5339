import type { ThrottlerStorage } from '@nestjs/throttler';
import type { RedisClient } from '@meeting/queue';

interface ThrottlerStorageRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/**
 * Rate-limit counters in Redis, so every replica of a service counts against one limit. A fixed
 * window per key: `<prefix>:throttle:{<throttler>:<key>}:hits` starts at the first hit with the
 * window as its TTL and counts with INCR; past the limit, `…:block` is set for `blockDuration` and
 * every hit while it lives is refused. Both keys share a hash tag (one slot on Redis Cluster), and
 * one MULTI reads and counts.
 */
export class RedisThrottlerStorage implements ThrottlerStorage {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const base = `${this.prefix}:throttle:{${throttlerName}:${key}}`;
    const hitsKey = `${base}:hits`;
    const blockKey = `${base}:block`;
    const replies = await this.redis.multi().set(hitsKey, 0, 'PX', ttl, 'NX').incr(hitsKey).pttl(hitsKey).pttl(blockKey).exec();
    if (!replies) throw new Error('rate limit: MULTI aborted');
    const failed = replies.find(([error]) => error);
    if (failed) throw failed[0];
    const totalHits = Number(replies[1][1]);
    const timeToExpire = seconds(Number(replies[2][1]));
    const blockLeft = Number(replies[3][1]);
    if (blockLeft > 0) return { totalHits, timeToExpire, isBlocked: true, timeToBlockExpire: seconds(blockLeft) };
    if (totalHits <= limit) return { totalHits, timeToExpire, isBlocked: false, timeToBlockExpire: 0 };
    await this.redis.set(blockKey, 1, 'PX', blockDuration, 'NX');
    const left = Number(await this.redis.pttl(blockKey));
    return { totalHits, timeToExpire, isBlocked: true, timeToBlockExpire: seconds(left > 0 ? left : blockDuration) };
  }
}
