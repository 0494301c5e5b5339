import { NonRetryableError } from '@meeting/queue';

/** Payloads and results of the four AI task types (shared shape with the meeting-service's dispatches). */
export interface SpeechRecognitionPayload {
  meetingId: string;
  participantId?: string;
  /** A reference to the audio; `text:<words>` makes the simulated recogniser return those words. */
  audio: string;
  durationMs?: number;
  language?: string;
}
export interface SpeechRecognitionResult {
  meetingId: string;
  participantId?: string;
  text: string;
  words: number;
  confidence: number;
  language: string;
  model: string;
}
export interface EmotionDetectionPayload {
  meetingId: string;
  participantId?: string;
  /** A reference to a video frame or audio sample. */
  sample: string;
}
export interface EmotionDetectionResult {
  meetingId: string;
  participantId?: string;
  emotion: string;
  confidence: number;
  model: string;
}
export interface AudioDenoisingPayload {
  meetingId?: string;
  audio: string;
  level?: 'low' | 'medium' | 'high';
}
export interface VideoEnhancementPayload {
  meetingId?: string;
  video: string;
  targetResolution?: '720p' | '1080p' | '2160p';
}

/**
 * Checks a payload: an object whose `required` keys are non-empty strings. A bad payload will not
 * get better on retry, so it fails with NonRetryableError (straight to the dead-letter queue).
 */
export function requireStrings<T>(type: string, payload: unknown, required: string[]): T {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new NonRetryableError(`${type}: the payload must be an object`);
  }
  for (const key of required) {
    const value = (payload as Record<string, unknown>)[key];
    if (typeof value !== 'string' || value.trim() === '') throw new NonRetryableError(`${type}: payload.${key} must be a non-empty string`);
  }
  return payload as T;
}

/** `value` when it is one of `allowed`, else `fallback`; anything else set is a NonRetryableError. */
export function oneOf<T extends string>(type: string, key: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new NonRetryableError(`${type}: payload.${key} must be one of ${allowed.join(', ')}`);
}
