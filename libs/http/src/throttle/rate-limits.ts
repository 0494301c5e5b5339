import { envInteger } from '../env-integer';

/** Rate limit of the public endpoints of a service: at most `limit` requests per client (IP) per `ttlMs`. */
export interface RateLimitOptions {
  limit: number;
  ttlMs: number;
}

/** 120 requests per minute per client. */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { limit: 120, ttlMs: 60_000 };

/** Paths never limited: probes, scrapes, the API description and the queue dashboard. */
export const UNLIMITED_PATHS = [/^\/health(\/|$)/, /^\/metrics$/, /^\/docs([-/]|$)/, /^\/dashboard(\/|$)/];

/**
 * The rate limit from RATE_LIMIT (requests) and RATE_LIMIT_WINDOW_MS, over `given`, over the
 * default (RATE_LIMIT=off is handled by PlatformHttpModule: no limit).
 * @throws Error naming the variable when one is not a positive integer
 */
export function rateLimitFromEnv(env: NodeJS.ProcessEnv = process.env, given: Partial<RateLimitOptions> = {}): RateLimitOptions {
  const base = { ...DEFAULT_RATE_LIMIT, ...given };
  return { limit: envInteger(env, 'RATE_LIMIT', base.limit), ttlMs: envInteger(env, 'RATE_LIMIT_WINDOW_MS', base.ttlMs) };
}
