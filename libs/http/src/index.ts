/**
 * @meeting/http: the HTTP conventions of the platform's services (NestJS): JSON-only bodies with a
 * size limit, a bound on every request (503 past it), a global ValidationPipe, OpenAPI at `/docs`,
 * rate limits shared through Redis, every answered request in `http_request_duration_seconds`, ISO
 * times in task statuses, bounded scrape-time reads for the services' own gauges.
 */
export { configureHttpApp, DEFAULT_BODY_LIMIT_BYTES } from './http-app';
export type { HttpAppOptions } from './http-app';
export { envInteger } from './env-integer';
export { DEFAULT_BODY_MAX_DEPTH, installJsonBody, jsonValueKind, nestingDepth } from './body/json-body';
export { contentTypeCharset, isJsonType, jsonContentTypeProblem } from './body/json-content-type';
export type { JsonBodyOptions } from './body/json-body';
export {
  boundRequests,
  DEFAULT_REQUEST_TIMEOUT_MS,
  installRequestDeadline,
  requestTimeoutFromEnv,
  requestTimeoutMessage,
  retryAfterSeconds,
  SELF_BOUNDED_PATHS,
  SkipExpiredRequests,
} from './deadline/request-deadline';
export { DOCS_PATH, mountOpenApi } from './docs/openapi';
export type { OpenApiOptions } from './docs/openapi';
export { PlatformHttpModule } from './throttle/platform-http.module';
export { PlatformThrottlerGuard } from './throttle/platform-throttler.guard';
export type { PlatformHttpModuleOptions } from './throttle/platform-http.module';
export { DEFAULT_RATE_LIMIT, rateLimitFromEnv, UNLIMITED_PATHS } from './throttle/rate-limits';
export type { RateLimitOptions } from './throttle/rate-limits';
export { RedisThrottlerStorage } from './throttle/redis/redis-throttler-storage';
export { ScrapeRead, scrapeGauge } from './metrics/scrape-gauge';
export { installHttpMetrics, measureHttpRequests, UNMATCHED_ROUTE } from './metrics/http-request-metrics';
export type { ScrapeGaugeOptions } from './metrics/scrape-gauge';
export { PlatformValidationPipe, RESERVED_KEYS, reservedKeyPaths } from './validation/platform-validation-pipe';
export { taskStatusView } from './task-status';
export type { TaskStatusView } from './task-status';
