import type { RedisClient } from '@meeting/queue';
import type { Transcript } from '../../meeting.types';
import { TranscriptRepository } from '../meeting-store';

/** Transcripts in Redis: hash `<prefix>:meeting:{<id>}:transcripts`, field task id, value JSON. */
export class RedisTranscriptRepository implements TranscriptRepository {
  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}

  private key(meetingId: string): string {
    return `${this.prefix}:meeting:{${meetingId}}:transcripts`;
  }

  async save(meetingId: string, transcript: Transcript): Promise<void> {
    await this.client.hset(this.key(meetingId), transcript.taskId, JSON.stringify(transcript));
  }

  async find(meetingId: string, taskId: string): Promise<Transcript | undefined> {
    const raw = await this.client.hget(this.key(meetingId), taskId);
    return raw === null ? undefined : (JSON.parse(raw) as Transcript);
  }

  async list(meetingId: string): Promise<Transcript[]> {
    const all = Object.values(await this.client.hgetall(this.key(meetingId))).map((raw) => JSON.parse(raw) as Transcript);
    return all.sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
  }
}
