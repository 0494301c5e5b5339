import type { Recording, RecordingFormat, Rendition } from '../recording.types';

/** Processed recordings, shared by every media-service replica. */
export interface RecordingRepository {
  /** Stores a recording; the same id again replaces it (handlers may run twice). */
  save(recording: Recording): Promise<void>;
  get(recordingId: string): Promise<Recording | undefined>;
  /** Every recording (of one meeting), oldest first. */
  list(meetingId?: string): Promise<Recording[]>;
  /** Sets one rendition of a recording; false when the recording is gone. */
  addRendition(recordingId: string, format: RecordingFormat, rendition: Rendition): Promise<boolean>;
  /** Removes recordings created before `cutoff` (ms); resolves to their ids. */
  removeOlderThan(cutoff: number): Promise<string[]>;
}

export const RECORDING_REPOSITORY = Symbol('RecordingRepository');
