import { MeetingSeq } from '../meeting-seq';

const MAX_MEETINGS = 10_000;

/** Counters in this process (one replica; the memory backend). The oldest of more than 10 000 meetings is forgotten. */
export class MemoryMeetingSeq extends MeetingSeq {
  private readonly counters = new Map<string, number>();

  async next(meetingId: string): Promise<number> {
    const value = (this.counters.get(meetingId) ?? 0) + 1;
    this.counters.set(meetingId, value);
    if (this.counters.size > MAX_MEETINGS) this.counters.delete(this.counters.keys().next().value as string);
    return value;
  }
}
