import { z } from 'zod';
import { id } from '../fields';

/** Events of the `signaling_events` channel (published by the signaling-service's WebSocket sessions, read by the meeting-service), by type. */
export const SIGNALING_EVENT_SCHEMAS = {
  /** A participant's WebSocket session opened on a signaling instance (the meeting-service marks it connected and publishes participant.joined). */
  'session.opened': z.object({ meetingId: id(), participantId: id(), sessionId: z.string().min(1).max(100), instance: z.string().min(1).max(200) }),
  /** The session closed (the meeting-service publishes participant.left); `reason`: `left`, `replaced`, `meeting_ended`, `removed`, `shutdown`. */
  'session.closed': z.object({ meetingId: id(), participantId: id(), sessionId: z.string().min(1).max(100), reason: z.string().min(1).max(100) }),
  /** The participant muted or unmuted. */
  'session.muted': z.object({ meetingId: id(), participantId: id(), muted: z.boolean() }),
} as const;
