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
  const read = (name: string, fallback: number, min: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
    return value;
  };
  return { cleanupIntervalMs: read('MEDIA_CLEANUP_INTERVAL_MS', 60_000, 10), retentionMs: read('MEDIA_RETENTION_MS', 86_400_000, 1) };
}
