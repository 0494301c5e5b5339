import type { Recording, RecordingFormat, Rendition } from '../../recording.types';
import { RecordingRepository } from '../recording-repository';

const copy = (r: Recording): Recording => structuredClone(r);

/** Recordings in this process (memory backend). */
export class MemoryRecordingRepository implements RecordingRepository {
  private readonly recordings = new Map<string, Recording>();

  async save(recording: Recording): Promise<void> {
    this.recordings.set(recording.recordingId, copy(recording));
  }

  async get(recordingId: string): Promise<Recording | undefined> {
    const r = this.recordings.get(recordingId);
    return r && copy(r);
  }

  async list(meetingId?: string): Promise<Recording[]> {
    return [...this.recordings.values()].filter((r) => meetingId === undefined || r.meetingId === meetingId).map(copy);
  }

  async addRendition(recordingId: string, format: RecordingFormat, rendition: Rendition): Promise<boolean> {
    const r = this.recordings.get(recordingId);
    if (!r) return false;
    r.renditions[format] = { ...rendition };
    return true;
  }

  async removeOlderThan(cutoff: number): Promise<string[]> {
    const removed: string[] = [];
    for (const [id, r] of this.recordings) {
      if (Date.parse(r.createdAt) < cutoff) {
        this.recordings.delete(id);
        removed.push(id);
      }
    }
    return removed;
  }
}
