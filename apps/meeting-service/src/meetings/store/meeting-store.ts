import type { MeetingRecord, Transcript } from '../meeting.types';

/** Meetings with their participants, one versioned record per meeting (`seq`): any replica reads and changes the same state. */
export interface MeetingRepository {
  /** Stores a new meeting. @throws Error when the id is taken */
  create(meeting: MeetingRecord): Promise<void>;
  find(meetingId: string): Promise<MeetingRecord | undefined>;
  /** Every meeting, newest first (at most `limit`, default 1000). */
  list(limit?: number): Promise<MeetingRecord[]>;
  /**
   * Applies `change` to the current record atomically (compare-and-set on `seq`, retried on a
   * concurrent change). `change` mutates its argument and returns true, or false to leave it as it
   * is. Resolves to undefined for an unknown meeting.
   */
  update(meetingId: string, change: (meeting: MeetingRecord) => boolean): Promise<{ meeting: MeetingRecord; changed: boolean } | undefined>;
  /** Remembers which meeting a dispatched task belongs to (callbacks of failed tasks carry no payload). */
  linkTask(taskId: string, meetingId: string): Promise<void>;
  meetingOfTask(taskId: string): Promise<string | undefined>;
}

/** Transcripts of a meeting by task id (written by the REST request, completed by the dispatcher's callback). */
export interface TranscriptRepository {
  save(meetingId: string, transcript: Transcript): Promise<void>;
  find(meetingId: string, taskId: string): Promise<Transcript | undefined>;
  /** Oldest first. */
  list(meetingId: string): Promise<Transcript[]>;
}

export const MEETING_REPOSITORY = Symbol('MeetingRepository');
export const TRANSCRIPT_REPOSITORY = Symbol('TranscriptRepository');

/** Attempts of a compare-and-set update before it gives up (only under heavy contention on one meeting). */
export const MAX_UPDATE_ATTEMPTS = 50;
