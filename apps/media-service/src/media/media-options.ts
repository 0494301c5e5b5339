import { envInteger } from '@meeting/http';
/** Settings of the media-service outside the queue configuration (the config schema refuses unknown keys). */
export interface MediaOptions {
  /** Interval of the recurring `media_cleanup` task (env MEDIA_CLEANUP_INTERVAL_MS, default 60 000). */
  cleanupIntervalMs: number;
  /** Recordings older than this are removed by the cleanup (env MEDIA_RETENTION_MS, default 24 h). */
  retentionMs: number;
}

export const MEDIA_OPTIONS = Symbol('MEDIA_OPTIONS');

/** Reads the settings from the environment. @throws Error naming the variable when it is not a positive integer */
export function mediaOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): MediaOptions {
  return { cleanupIntervalMs: envInteger(env, 'MEDIA_CLEANUP_INTERVAL_MS', 60_000, 10), retentionMs: envInteger(env, 'MEDIA_RETENTION_MS', 86_400_000, 1) };
}
