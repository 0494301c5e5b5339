import { applyEvent, MAX_MEETINGS_IN_MEMORY, MeetingContext, MeetingContextRepository, newContext } from '../meeting-context-repository';

/** Contexts in this process (memory backend; bounded: the oldest of more than MAX_MEETINGS_IN_MEMORY meetings is forgotten). */
export class MemoryMeetingContextRepository implements MeetingContextRepository {
  private readonly meetings = new Map<string, MeetingContext>();

  async get(meetingId: string): Promise<MeetingContext | undefined> {
    const context = this.meetings.get(meetingId);
    return context && structuredClone(context);
  }

  async update(meetingId: string, eventType: string, change: (context: MeetingContext) => void, seq?: number, scope?: string): Promise<boolean> {
    const context = structuredClone(this.meetings.get(meetingId) ?? newContext(meetingId, eventType));
    if (!applyEvent(context, eventType, change, seq, scope)) return false;
    if (!this.meetings.has(meetingId) && this.meetings.size >= MAX_MEETINGS_IN_MEMORY) this.meetings.delete(this.meetings.keys().next().value as string);
    this.meetings.set(meetingId, context);
    return true;
  }
}
