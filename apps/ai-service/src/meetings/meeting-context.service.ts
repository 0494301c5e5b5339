import { Injectable } from '@nestjs/common';

/** What the AI service knows of a meeting, from `meeting_events` and `media_events`. */
export interface MeetingContext {
  meetingId: string;
  state: 'active' | 'ended';
  /** Highest meeting `seq` applied (meeting_events carry the meeting's version). */
  seq: number;
  participants: string[];
  recordings: string[];
  lastEvent: string;
  updatedAt: string;
}

const MAX_MEETINGS = 1000;

/** Per-meeting context (bounded: the oldest of more than 1000 meetings is forgotten). Handlers are idempotent: events may come twice. */
@Injectable()
export class MeetingContextStore {
  private readonly meetings = new Map<string, MeetingContext>();

  get(meetingId: string): MeetingContext | undefined {
    const context = this.meetings.get(meetingId);
    return context && { ...context, participants: [...context.participants], recordings: [...context.recordings] };
  }

  /**
   * Applies `change` to the meeting's context (created on first sight) and records the event type.
   * With a `seq`, an event not newer than what was applied is ignored (false): a redelivered or
   * overtaken event cannot undo a later change. An ended meeting stays ended.
   */
  update(meetingId: string, eventType: string, change: (context: MeetingContext) => void, seq?: number): boolean {
    let context = this.meetings.get(meetingId);
    if (!context) {
      context = { meetingId, state: 'active', seq: 0, participants: [], recordings: [], lastEvent: eventType, updatedAt: '' };
      this.meetings.set(meetingId, context);
      if (this.meetings.size > MAX_MEETINGS) this.meetings.delete(this.meetings.keys().next().value as string);
    }
    if (seq !== undefined) {
      if (seq <= context.seq || context.state === 'ended') return false;
      context.seq = seq;
    }
    change(context);
    context.lastEvent = eventType;
    context.updatedAt = new Date().toISOString();
    return true;
  }
}
