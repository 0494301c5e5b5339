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
} as const;
