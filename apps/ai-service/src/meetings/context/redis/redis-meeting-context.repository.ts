import type { RedisClient } from '@meeting/queue';
import { applyEvent, CONTEXT_TTL_S, MAX_UPDATE_ATTEMPTS, MeetingContext, MeetingContextRepository, newContext } from '../meeting-context-repository';
import { REPLACE_IF_UNCHANGED_LUA, replaceIfUnchangedArgs } from './replace-if-unchanged';

/**
 * Contexts in Redis: string `<prefix>:ai-context:{<meetingId>}` (JSON), expiring CONTEXT_TTL_S after
 * the last event. Updates are compare-and-set on the stored JSON, retried on a concurrent change.
 */
export class RedisMeetingContextRepository implements MeetingContextRepository {
  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}

  private key(meetingId: string): string {
    return `${this.prefix}:ai-context:{${meetingId}}`;
  }

  async get(meetingId: string): Promise<MeetingContext | undefined> {
    const raw = await this.client.get(this.key(meetingId));
    return raw === null ? undefined : (JSON.parse(raw) as MeetingContext);
  }

  async update(meetingId: string, eventType: string, change: (context: MeetingContext) => void, seq?: number, scope?: string): Promise<boolean> {
    const key = this.key(meetingId);
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const read = (await this.client.get(key)) ?? '';
      const context = read === '' ? newContext(meetingId, eventType) : (JSON.parse(read) as MeetingContext);
      if (!applyEvent(context, eventType, change, seq, scope)) return false;
      const reply = await this.client.eval(REPLACE_IF_UNCHANGED_LUA, ...replaceIfUnchangedArgs(key, read, JSON.stringify(context), CONTEXT_TTL_S));
      if (reply === 1) return true;
    }
    throw new Error(`context of meeting "${meetingId}": ${MAX_UPDATE_ATTEMPTS} concurrent changes in a row, update given up`);
  }
}
