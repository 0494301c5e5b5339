import type { Transcript } from '../../meeting.types';
import { TranscriptRepository } from '../meeting-store';

/** Transcripts in this process (memory backend, tests). */
export class MemoryTranscriptRepository implements TranscriptRepository {
  private readonly byMeeting = new Map<string, Map<string, Transcript>>();

  async save(meetingId: string, transcript: Transcript): Promise<void> {
    let transcripts = this.byMeeting.get(meetingId);
    if (!transcripts) this.byMeeting.set(meetingId, (transcripts = new Map()));
    transcripts.set(transcript.taskId, { ...transcript });
  }

  async find(meetingId: string, taskId: string): Promise<Transcript | undefined> {
    const transcript = this.byMeeting.get(meetingId)?.get(taskId);
    return transcript && { ...transcript };
  }

  async list(meetingId: string): Promise<Transcript[]> {
    return [...(this.byMeeting.get(meetingId)?.values() ?? [])].map((t) => ({ ...t })).sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
  }
}
