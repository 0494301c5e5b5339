/**
 * The `seq` of a meeting's events: every event about a meeting (lifecycle, participants,
 * transcripts) takes the next number, so consumers can drop what is older than what they applied.
 * Strictly increasing per meeting across every replica that shares the backend.
 */
export abstract class MeetingSeq {
  /** The next `seq` of the meeting (1 for its first event). */
  abstract next(meetingId: string): Promise<number>;
}
