import { z } from 'zod';
import { id, isoTime, millis } from '../fields';

/** Formats of recordings and their renditions. */
export const RECORDING_FORMATS = ['mp4', 'webm', 'mp3'] as const;
/** Resolutions of `transcode` renditions. */
export const RENDITION_RESOLUTIONS = ['480p', '720p', '1080p'] as const;

const rendition = z.object({ resolution: z.enum(RENDITION_RESOLUTIONS), sizeBytes: z.number().int().nonnegative() });

/** A processed recording (result of `recording_process`, served by the media-service). */
const recording = z.object({
  recordingId: id(),
  meetingId: id(),
  format: z.enum(RECORDING_FORMATS),
  durationMs: millis(),
  sizeBytes: z.number().int().nonnegative(),
  participants: z.array(id()),
  createdAt: isoTime(),
  /** Renditions made by `transcode`, by format. */
  renditions: z.partialRecord(z.enum(RECORDING_FORMATS), rendition),
});

/** The media task types (queue `media_tasks`, handled by the media-service): payload and result schemas. */
export const MEDIA_TASK_SCHEMAS = {
  recording_process: {
    /** Without `durationMs` or `participants` (older producers): 0 and none. */
    payload: z.object({ meetingId: id(), durationMs: millis().default(0), participants: z.array(id()).default([]) }),
    result: recording,
  },
  transcode: {
    payload: z.object({ recordingId: id(), format: z.enum(RECORDING_FORMATS), resolution: z.enum(RENDITION_RESOLUTIONS).optional() }),
    result: z.object({
      recordingId: id(),
      format: z.enum(RECORDING_FORMATS),
      resolution: z.enum(RENDITION_RESOLUTIONS),
      sizeBytes: z.number().int().nonnegative(),
    }),
  },
  media_cleanup: {
    /** Scheduled without a payload (undefined, null or an empty object). */
    payload: z.object({}).nullish(),
    result: z.object({ removed: z.array(id()) }),
  },
} as const;
