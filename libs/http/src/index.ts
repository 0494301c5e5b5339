/**
 * @meeting/http: the HTTP conventions of the platform's services (NestJS): JSON-only bodies with a
 * size limit, a global ValidationPipe, OpenAPI at `/docs`, rate limits shared through Redis, ISO
 * times in task statuses.
 */
export { configureHttpApp, DEFAULT_BODY_LIMIT_BYTES } from './http-app';
export type { HttpAppOptions } from './http-app';
export { envInteger } from './env-integer';
export { installJsonBody, isJsonType } from './body/json-body';
export type { JsonBodyOptions } from './body/json-body';
export { DOCS_PATH, mountOpenApi } from './docs/openapi';
export type { OpenApiOptions } from './docs/openapi';
export { PlatformHttpModule } from './throttle/platform-http.module';
export type { PlatformHttpModuleOptions } from './throttle/platform-http.module';
export { DEFAULT_RATE_LIMIT, rateLimitFromEnv, UNLIMITED_PATHS } from './throttle/rate-limits';
export type { RateLimitOptions } from './throttle/rate-limits';
export { RedisThrottlerStorage } from './throttle/redis/redis-throttler-storage';
export { taskStatusView } from './task-status';
export type { TaskStatusView } from './task-status';
