import { DynamicModule, ExecutionContext, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { QueueManager } from '@meeting/queue';
import { PlatformThrottlerGuard } from './platform-throttler.guard';
import { RateLimitOptions, rateLimitFromEnv, UNLIMITED_PATHS } from './rate-limits';
import { RedisThrottlerStorage } from './redis/redis-throttler-storage';

export interface PlatformHttpModuleOptions {
  /**
   * The rate limit of public endpoints (default: RATE_LIMIT / RATE_LIMIT_WINDOW_MS, else 120 per
   * minute); `false` (or RATE_LIMIT=off) for none (a gateway in front limits, or a test polls).
   */
  rateLimit?: Partial<RateLimitOptions> | false;
}

/** Health probes, metrics, docs and the dashboard are not limited; neither is anything but HTTP (WebSocket gateways limit themselves). */
function unlimited(context: ExecutionContext): boolean {
  if (context.getType() !== 'http') return true;
  const path = context.switchToHttp().getRequest<{ path?: string; url?: string }>().path ?? '';
  return UNLIMITED_PATHS.some((pattern) => pattern.test(path));
}

/**
 * Rate limits for every HTTP route of a service (a global PlatformThrottlerGuard: 429 with
 * Retry-After past the limit, in the error shape `{ statusCode, error, message }`), counted in the
 * QueueManager's Redis when it has one, so replicas share the limit; in memory otherwise. Needs
 * QueueModule (global) in the same application.
 */
@Module({})
export class PlatformHttpModule {
  static forRoot(options: PlatformHttpModuleOptions = {}): DynamicModule {
    if (options.rateLimit === false || process.env.RATE_LIMIT === 'off') return { module: PlatformHttpModule };
    const rateLimit = rateLimitFromEnv(process.env, options.rateLimit);
    return {
      module: PlatformHttpModule,
      imports: [
        ThrottlerModule.forRootAsync({
          inject: [QueueManager],
          useFactory: (queues: QueueManager) => ({
            throttlers: [{ name: 'default', limit: rateLimit.limit, ttl: rateLimit.ttlMs }],
            skipIf: unlimited,
            storage: queues.redis ? new RedisThrottlerStorage(queues.redis.take(), queues.config.redis.key_prefix) : undefined,
          }),
        }),
      ],
      providers: [{ provide: APP_GUARD, useClass: PlatformThrottlerGuard }],
    };
  }
}
