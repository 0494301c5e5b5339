/** What the AI service knows of a meeting, from `meeting_events` and `media_events`. */
export interface MeetingContext {
  meetingId: string;
  state: 'active' | 'ended';
  /** Highest meeting `seq` applied (meeting_events carry the meeting's version). */
  seq: number;
  /**
   * Per participant, the `seq` of the last join or leave of theirs applied: those events are ordered
   * per participant only (joins of two participants commute), so one handled late or retried after
   * another participant's is still applied.
   */
  participantSeqs?: Record<string, number>;
  participants: string[];
  recordings: string[];
  lastEvent: string;
  updatedAt: string;
}

/**
 * Per-meeting context, shared by every ai-service replica (events of one meeting may be handled by
 * different replicas). Handlers are idempotent: events may come twice.
 */
export interface MeetingContextRepository {
  /** The meeting's context (a copy), undefined when no event of it was seen (or it expired). */
  get(meetingId: string): Promise<MeetingContext | undefined>;
  /**
   * Applies `change` to the meeting's context (created on first sight) and records the event type,
   * atomically against other replicas. With a `seq`, an event not newer than what was applied is
   * ignored (false): a redelivered or overtaken event cannot undo a later change. With a `scope`
   * (a participant id), "newer" is compared with that participant's events only. An ended meeting
   * stays ended.
   */
  update(meetingId: string, eventType: string, change: (context: MeetingContext) => void, seq?: number, scope?: string): Promise<boolean>;
}

export const MEETING_CONTEXT_REPOSITORY = Symbol('MeetingContextRepository');
/** The memory backend forgets the oldest of more meetings than this. */
export const MAX_MEETINGS_IN_MEMORY = 1000;
/** How long Redis keeps a meeting's context after its last event (7 days, as the results). */
export const CONTEXT_TTL_S = 7 * 24 * 3600;
/** Concurrent changes of one context in a row before an update gives up. */
export const MAX_UPDATE_ATTEMPTS = 20;

/** A context seen for the first time. */
export function newContext(meetingId: string, eventType: string): MeetingContext {
  return { meetingId, state: 'active', seq: 0, participants: [], recordings: [], lastEvent: eventType, updatedAt: '' };
}

/** The update rules shared by the backends: false when the event must be ignored, else `context` is changed. */
export function applyEvent(context: MeetingContext, eventType: string, change: (context: MeetingContext) => void, seq?: number, scope?: string): boolean {
  if (seq !== undefined) {
    if (context.state === 'ended') return false;
    if (scope === undefined) {
      if (seq <= context.seq) return false;
    } else {
      const seqs = (context.participantSeqs ??= {});
      if (seq <= (seqs[scope] ?? 0)) return false;
      seqs[scope] = seq;
    }
    context.seq = Math.max(context.seq, seq);
  }
  change(context);
  context.lastEvent = eventType;
  context.updatedAt = new Date().toISOString();
  return true;
}
