import { z } from 'zod';
import { id, millis } from '../fields';
import { RECORDING_FORMATS, RENDITION_RESOLUTIONS } from '../tasks/media-tasks';

/** Events of the `media_events` channel (published by the media-service), by type. */
export const MEDIA_EVENT_SCHEMAS = {
  'recording.processed': z.object({ meetingId: id(), recordingId: id(), format: z.enum(RECORDING_FORMATS), durationMs: millis() }),
  'media.transcoded': z.object({ meetingId: id(), recordingId: id(), format: z.enum(RECORDING_FORMATS), resolution: z.enum(RENDITION_RESOLUTIONS) }),
  'media.cleanup_completed': z.object({ removed: z.array(id()) }),
} as const;
