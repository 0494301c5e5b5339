import type { RedisClient } from '@meeting/queue';
import { MAX_RESULTS_PER_MEETING, RESULTS_TTL_S, ResultRepository, StoredResult } from '../result-repository';

/** Results in Redis: hash `<prefix>:ai-results:{<meetingId>}` (task id -> JSON), expiring RESULTS_TTL_S after the last one. */
export class RedisResultRepository implements ResultRepository {
  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}

  private key(meetingId: string): string {
    return `${this.prefix}:ai-results:{${meetingId}}`;
  }

  async record(meetingId: string, result: StoredResult): Promise<void> {
    const key = this.key(meetingId);
    if ((await this.client.hlen(key)) >= MAX_RESULTS_PER_MEETING && !(await this.client.hexists(key, result.taskId))) return;
    await this.client.hset(key, result.taskId, JSON.stringify(result));
    await this.client.expire(key, RESULTS_TTL_S);
  }

  async list(meetingId: string): Promise<StoredResult[]> {
    const all = Object.values(await this.client.hgetall(this.key(meetingId))).map((raw) => JSON.parse(raw) as StoredResult);
    return all.sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
  }
}
