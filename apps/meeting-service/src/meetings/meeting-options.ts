import { envInteger } from '@meeting/http';
import { JOIN_TOKEN_MAX_TTL_MS, joinTokenSecretFromEnv } from '@meeting/contracts';

/** Settings of the meeting-service outside the queue configuration (the config schema refuses unknown keys). */
export interface MeetingOptions {
  /** HMAC secret of join tokens, shared with the signaling-service (env JOIN_TOKEN_SECRET; never logged). */
  tokenSecret: string;
  developmentSecret: boolean;
  /** Lifetime of a join token (env JOIN_TOKEN_TTL_MS, default 2 h, at most JOIN_TOKEN_MAX_TTL_MS: 24 h). */
  joinTokenTtlMs: number;
  /** Longest meeting: the scheduled automatic end fires this long after the start (env MEETING_MAX_DURATION_MS, default 4 h; per meeting `maxDurationMs`). */
  maxDurationMs: number;
  /** Default time of the `meeting.reminder` before a scheduled start (env MEETING_REMINDER_BEFORE_MS, default 5 min; per meeting `reminderBeforeMs`). */
  reminderBeforeMs: number;
}

export const MEETING_OPTIONS = Symbol('MEETING_OPTIONS');

/** From the environment. @throws Error naming the variable that is not an integer in its range, or JOIN_TOKEN_SECRET's problem */
export function meetingOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): MeetingOptions {
  const { secret, development } = joinTokenSecretFromEnv(env);
  return {
    tokenSecret: secret,
    developmentSecret: development,
    joinTokenTtlMs: envInteger(env, 'JOIN_TOKEN_TTL_MS', 2 * 3600_000, 1000, JOIN_TOKEN_MAX_TTL_MS),
    maxDurationMs: envInteger(env, 'MEETING_MAX_DURATION_MS', 4 * 3600_000, 100),
    reminderBeforeMs: envInteger(env, 'MEETING_REMINDER_BEFORE_MS', 5 * 60_000, 0),
  };
}
