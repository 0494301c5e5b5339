import { z } from 'zod';
import { id, isoTime, millis, seq, text } from '../fields';

/** Every meeting event names its meeting and carries its `seq` (strictly increasing per meeting). */
const meetingEvent = { meetingId: id(), seq: seq() };

/** Events of the `meeting_events` channel (published by the meeting-service), by type. */
export const MEETING_EVENT_SCHEMAS = {
  'meeting.created': z.object({ ...meetingEvent, title: text(200), hostId: id(), createdAt: isoTime() }),
  'participant.joined': z.object({ ...meetingEvent, participantId: id(), name: text(200), joinedAt: isoTime() }),
  /** `reason`: `disconnected` (the signaling session closed) or `removed` (DELETE /meetings/:id/participants/:pid: the signaling-service closes the session). */
  'participant.left': z.object({ ...meetingEvent, participantId: id(), reason: z.enum(['disconnected', 'removed']).optional() }),
  'meeting.ended': z.object({ ...meetingEvent, endedAt: isoTime(), durationMs: millis(), reason: z.enum(['requested', 'max_duration']).optional() }),
  /** A scheduled meeting starts soon (a delayed task fired `reminderBeforeMs` before `startsAt`). */
  'meeting.reminder': z.object({ ...meetingEvent, startsAt: isoTime(), title: text(200) }),
  /** The post-meeting analysis (recording, transcription, emotion) finished: `completed` or `failed`. */
  'meeting.analysed': z.object({ ...meetingEvent, state: z.enum(['completed', 'failed']), recordingId: id().optional() }),
  'transcript.recorded': z.object({ ...meetingEvent, taskId: z.string().min(1), participantId: id().optional(), words: z.number().int().nonnegative() }),
} as const;
