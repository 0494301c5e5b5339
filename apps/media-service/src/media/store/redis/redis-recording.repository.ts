import type { RedisClient } from '@meeting/queue';
import type { Recording, RecordingFormat, Rendition } from '../../recording.types';
import { RecordingRepository } from '../recording-repository';

/**
 * Recordings in Redis: `<prefix>:recording:{<id>}` (the recording as JSON), `…:renditions` (hash
 * format -> JSON, so concurrent transcodes do not overwrite each other), indexed by the sorted set
 * `<prefix>:recordings` (score: creation time).
 */
export class RedisRecordingRepository implements RecordingRepository {
  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}

  private key(recordingId: string): string {
    return `${this.prefix}:recording:{${recordingId}}`;
  }

  async save(recording: Recording): Promise<void> {
    const { renditions, ...rest } = recording;
    await this.client.set(this.key(recording.recordingId), JSON.stringify(rest));
    for (const [format, rendition] of Object.entries(renditions) as Array<[RecordingFormat, Rendition]>)
      await this.addRendition(recording.recordingId, format, rendition);
    await this.client.zadd(`${this.prefix}:recordings`, Date.parse(recording.createdAt), recording.recordingId);
  }

  async get(recordingId: string): Promise<Recording | undefined> {
    const raw = await this.client.get(this.key(recordingId));
    if (raw === null) return undefined;
    const renditions = Object.fromEntries(Object.entries(await this.client.hgetall(`${this.key(recordingId)}:renditions`)).map(([f, r]) => [f, JSON.parse(r)]));
    return { ...(JSON.parse(raw) as Omit<Recording, 'renditions'>), renditions };
  }

  async list(meetingId?: string): Promise<Recording[]> {
    const ids = await this.client.zrange(`${this.prefix}:recordings`, 0, -1);
    const all = await Promise.all(ids.map((id) => this.get(id)));
    return all.filter((r): r is Recording => r !== undefined && (meetingId === undefined || r.meetingId === meetingId));
  }

  async addRendition(recordingId: string, format: RecordingFormat, rendition: Rendition): Promise<boolean> {
    if ((await this.client.exists(this.key(recordingId))) === 0) return false;
    await this.client.hset(`${this.key(recordingId)}:renditions`, format, JSON.stringify(rendition));
    return true;
  }

  async removeOlderThan(cutoff: number): Promise<string[]> {
    const ids = await this.client.zrangebyscore(`${this.prefix}:recordings`, '-inf', `(${cutoff}`);
    for (const id of ids) {
      await this.client.del(this.key(id), `${this.key(id)}:renditions`);
      await this.client.zrem(`${this.prefix}:recordings`, id);
    }
    return ids;
  }
}
