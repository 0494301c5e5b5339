import { z } from 'zod';
import { id, isoTime, millis, seq, text } from '../fields';

/** Every meeting event names its meeting and carries its `seq` (strictly increasing per meeting). */
const meetingEvent = { meetingId: id(), seq: seq() };

/** Events of the `meeting_events` channel (published by the meeting-service), by type. */
export const MEETING_EVENT_SCHEMAS = {
  'meeting.created': z.object({ ...meetingEvent, title: text(200), hostId: id(), createdAt: isoTime() }),
  'participant.joined': z.object({ ...meetingEvent, participantId: id(), name: text(200), joinedAt: isoTime() }),
  'participant.left': z.object({ ...meetingEvent, participantId: id() }),
  'meeting.ended': z.object({ ...meetingEvent, endedAt: isoTime(), durationMs: millis() }),
  'transcript.recorded': z.object({ ...meetingEvent, taskId: z.string().min(1), participantId: id().optional(), words: z.number().int().nonnegative() }),
} as const;
