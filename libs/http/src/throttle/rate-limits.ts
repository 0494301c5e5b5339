/** Rate limit of the public endpoints of a service: at most `limit` requests per client (IP) per `ttlMs`. */
export interface RateLimitOptions {
  limit: number;
  ttlMs: number;
}

/** 120 requests per minute per client. */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { limit: 120, ttlMs: 60_000 };

/** Paths never limited: probes, scrapes, the API description and the queue dashboard. */
export const UNLIMITED_PATHS = [/^\/health(\/|$)/, /^\/metrics$/, /^\/docs([-/]|$)/, /^\/dashboard(\/|$)/];

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

/**
 * The rate limit from RATE_LIMIT (requests) and RATE_LIMIT_WINDOW_MS, over `given`, over the
 * default (RATE_LIMIT=off is handled by PlatformHttpModule: no limit).
 * @throws Error naming the variable when one is not a positive integer
 */
export function rateLimitFromEnv(env: NodeJS.ProcessEnv = process.env, given: Partial<RateLimitOptions> = {}): RateLimitOptions {
  const base = { ...DEFAULT_RATE_LIMIT, ...given };
  return { limit: positiveInt(env, 'RATE_LIMIT', base.limit), ttlMs: positiveInt(env, 'RATE_LIMIT_WINDOW_MS', base.ttlMs) };
}
