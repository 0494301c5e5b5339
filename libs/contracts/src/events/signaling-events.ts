import { z } from 'zod';
import { id, seq } from '../fields';

/** A presence change: the meeting, the participant it is about (none for rooms), how many are present, the meeting event's `seq`. */
const presence = z.object({ meetingId: id(), participantId: id().optional(), participants: z.number().int().nonnegative(), seq: seq() });

/** Events of the `signaling_events` channel (published by the signaling-service), by type. */
export const SIGNALING_EVENT_SCHEMAS = {
  'room.opened': presence,
  'presence.joined': presence,
  'presence.left': presence,
  'room.closed': presence,
  /** A participant's WebSocket session opened on a signaling instance (the meeting-service marks it connected and publishes participant.joined). */
  'session.opened': z.object({ meetingId: id(), participantId: id(), sessionId: z.string().min(1).max(100), instance: z.string().min(1).max(200) }),
  /** The session closed (the meeting-service publishes participant.left); `reason`: `left`, `replaced`, `meeting_ended`, `removed`, `shutdown`. */
  'session.closed': z.object({ meetingId: id(), participantId: id(), sessionId: z.string().min(1).max(100), reason: z.string().min(1).max(100) }),
  /** The participant muted or unmuted. */
  'session.muted': z.object({ meetingId: id(), participantId: id(), muted: z.boolean() }),
} as const;
