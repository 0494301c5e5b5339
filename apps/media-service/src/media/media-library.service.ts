import { Injectable } from '@nestjs/common';
import type { TaskResult } from '@meeting/contracts';

/** A processed recording: the result of `recording_process` (@meeting/contracts), renditions added by `transcode`. */
export type Recording = TaskResult<'recording_process'>;

/** In-memory store of processed recordings (the media files themselves are simulated). */
@Injectable()
export class MediaLibrary {
  private readonly recordings = new Map<string, Recording>();

  /** Stores a recording; the same id again replaces it (handlers may run twice). */
  save(recording: Recording): Recording {
    this.recordings.set(recording.recordingId, recording);
    return recording;
  }

  get(recordingId: string): Recording | undefined {
    return this.recordings.get(recordingId);
  }

  list(meetingId?: string): Recording[] {
    return [...this.recordings.values()].filter((r) => meetingId === undefined || r.meetingId === meetingId);
  }

  /** Removes recordings created before `cutoff` (ms); returns their ids. */
  removeOlderThan(cutoff: number): string[] {
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
