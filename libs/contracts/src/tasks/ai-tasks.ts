import { z } from 'zod';
import { id, score, text } from '../fields';

/** The longest audio clip `speech_recognition` takes (1 hour). */
export const MAX_AUDIO_DURATION_MS = 3_600_000;
/** Noise reduction levels of `audio_denoising`. */
export const DENOISING_LEVELS = ['low', 'medium', 'high'] as const;
/** Target resolutions of `video_enhancement`. */
export const ENHANCEMENT_RESOLUTIONS = ['720p', '1080p', '2160p'] as const;

/** The AI task types (queue `ai_tasks`, handled by the ai-service): payload and result schemas. */
export const AI_TASK_SCHEMAS = {
  speech_recognition: {
    payload: z.object({
      meetingId: id(),
      participantId: id().optional(),
      /** A reference to the audio; `text:<words>` makes the simulated recogniser return those words. */
      audio: text(2000),
      durationMs: z.number().int().positive().max(MAX_AUDIO_DURATION_MS).optional(),
      language: z.string().min(2).max(16).optional(),
    }),
    result: z.object({
      meetingId: id(),
      participantId: id().optional(),
      text: z.string(),
      words: z.number().int().nonnegative(),
      confidence: score(),
      language: z.string(),
      model: z.string(),
    }),
  },
  emotion_detection: {
    payload: z.object({ meetingId: id(), participantId: id().optional(), sample: text(2000) }),
    result: z.object({ meetingId: id(), participantId: id().optional(), emotion: z.string(), confidence: score(), model: z.string() }),
  },
  audio_denoising: {
    payload: z.object({ meetingId: id().optional(), audio: text(2000), level: z.enum(DENOISING_LEVELS).optional() }),
    result: z.object({ meetingId: id().optional(), audio: z.string(), noiseReductionDb: z.number(), snrDb: z.number(), model: z.string() }),
  },
  video_enhancement: {
    payload: z.object({ meetingId: id().optional(), video: text(2000), targetResolution: z.enum(ENHANCEMENT_RESOLUTIONS).optional() }),
    result: z.object({
      meetingId: id().optional(),
      video: z.string(),
      resolution: z.enum(ENHANCEMENT_RESOLUTIONS),
      sharpnessGain: z.number(),
      model: z.string(),
    }),
  },
} as const;
