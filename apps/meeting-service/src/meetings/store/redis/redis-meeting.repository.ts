import type { RedisClient } from '@meeting/queue';
import type { MeetingRecord } from '../../meeting.types';
import { MAX_UPDATE_ATTEMPTS, MeetingRepository } from '../meeting-store';
import { COMPARE_AND_SET_LUA, compareAndSetArgs } from './compare-and-set';

/** How long the task -> meeting index is kept (dispatch results older than this are past the dispatcher's retention anyway). */
const TASK_LINK_TTL_S = 7 * 24 * 3600;

/**
 * Meetings in Redis under `<prefix>:meeting:{<id>}` (hash `seq`, `doc`), listed by the sorted set
 * `<prefix>:meetings` (score: creation time). Updates are compare-and-set on `seq`.
 */
export class RedisMeetingRepository implements MeetingRepository {
  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}

  private key(meetingId: string): string {
    return `${this.prefix}:meeting:{${meetingId}}`;
  }

  async create(meeting: MeetingRecord): Promise<void> {
    const created = await this.client.hsetnx(this.key(meeting.meetingId), 'doc', JSON.stringify(meeting));
    if (created !== 1) throw new Error(`meeting "${meeting.meetingId}" exists`);
    await this.client.hset(this.key(meeting.meetingId), 'seq', String(meeting.seq));
    await this.client.zadd(`${this.prefix}:meetings`, Date.parse(meeting.createdAt), meeting.meetingId);
  }

  async find(meetingId: string): Promise<MeetingRecord | undefined> {
    return (await this.read(meetingId))?.meeting;
  }

  async list(limit = 1000): Promise<MeetingRecord[]> {
    const ids = await this.client.zrevrange(`${this.prefix}:meetings`, 0, limit - 1);
    const meetings = await Promise.all(ids.map((id) => this.find(id)));
    return meetings.filter((m): m is MeetingRecord => m !== undefined);
  }

  async update(meetingId: string, change: (meeting: MeetingRecord) => boolean): Promise<{ meeting: MeetingRecord; changed: boolean } | undefined> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const current = await this.read(meetingId);
      if (!current) return undefined;
      const next = current.meeting;
      if (!change(next)) return { meeting: current.meeting, changed: false };
      const reply = await this.client.eval(COMPARE_AND_SET_LUA, ...compareAndSetArgs(this.key(meetingId), current.seq, next.seq, JSON.stringify(next)));
      if (reply === 1) return { meeting: next, changed: true };
      if (reply === -1) return undefined;
    }
    throw new Error(`meeting "${meetingId}": ${MAX_UPDATE_ATTEMPTS} concurrent changes in a row, update given up`);
  }

  async linkTask(taskId: string, meetingId: string): Promise<void> {
    await this.client.set(`${this.prefix}:meeting-task:${taskId}`, meetingId, 'EX', TASK_LINK_TTL_S);
  }

  async meetingOfTask(taskId: string): Promise<string | undefined> {
    return (await this.client.get(`${this.prefix}:meeting-task:${taskId}`)) ?? undefined;
  }

  private async read(meetingId: string): Promise<{ seq: string; meeting: MeetingRecord } | undefined> {
    const [seq, doc] = await this.client.hmget(this.key(meetingId), 'seq', 'doc');
    if (seq === null || doc === null) return undefined;
    return { seq, meeting: JSON.parse(doc) as MeetingRecord };
  }
}
