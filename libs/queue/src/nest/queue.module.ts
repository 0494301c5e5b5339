import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { loadConfig } from '../config/config-loader';
import { QueueManager } from '../manager/queue-manager';
import { NestQueueLogger } from './nest-queue-logger';
import { QueueExplorer } from './queue-explorer';
import { QueueHealthIndicator } from './queue-health.indicator';
import { traceHttpRequests } from './trace-http.middleware';
import { ConfigurableModuleClass, QUEUE_MODULE_OPTIONS, QueueModuleOptions } from './queue.module-definition';

/**
 * The messaging layer in a Nest application. `QueueModule.forRoot({ config })` or
 * `QueueModule.forRootAsync({ imports, inject, useFactory })` (extras: `isGlobal` default true,
 * `http` default true). Provides {@link QueueManager} (created from the configuration, default
 * `loadConfig()`, or the `manager` given) and {@link QueueHealthIndicator}; discovers decorated
 * handlers at bootstrap; serves GET /health, /health/ready and /metrics when `http` is on.
 * Call `app.enableShutdownHooks()` so that SIGTERM drains the handlers. Every HTTP request runs in
 * a server span from its `traceparent` header when the application registered a tracer (docs/tracing.md).
 */
@Module({
  imports: [DiscoveryModule, TerminusModule],
  providers: [
    {
      provide: QueueManager,
      inject: [QUEUE_MODULE_OPTIONS],
      useFactory: (options: QueueModuleOptions) => options.manager ?? QueueManager.create(options.config ?? loadConfig(), { logger: new NestQueueLogger() }),
    },
    QueueExplorer,
    QueueHealthIndicator,
  ],
  exports: [QueueManager, QueueHealthIndicator],
})
export class QueueModule extends ConfigurableModuleClass implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(traceHttpRequests).forRoutes('*');
  }
}
