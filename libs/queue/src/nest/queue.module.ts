import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { loadConfig } from '../config/config-loader';
import { QueueConfigError } from '../errors';
import { QueueManager } from '../manager/queue-manager';
import { checkKnownKeys, checkOption, knownKeys, timerMsField } from '../util/fields';
import { NestQueueLogger } from './nest-queue-logger';
import { QueueDrainModule } from './queue-drain.module';
import { QueueExplorer } from './queue-explorer';
import { QueueHealthIndicator } from './queue-health.indicator';
import { traceHttpRequests } from './trace-http.middleware';
import { ConfigurableModuleClass, QUEUE_MODULE_OPTIONS, QueueModuleOptions } from './queue.module-definition';

const MODULE_OPTION_KEYS = knownKeys<QueueModuleOptions>({ config: true, manager: true, drainTimeoutMs: true });

/**
 * Refuses what `forRoot` / `forRootAsync`'s factory gave that the module cannot use, when the
 * application starts (not at shutdown): an unknown key, a `drainTimeoutMs` that is not a timer's
 * ms, a `manager` that is not a QueueManager. Throws QueueConfigError at `queueModule.<key>`.
 */
function checkModuleOptions(options: QueueModuleOptions): void {
  if (options === null || typeof options !== 'object') throw new QueueConfigError('queueModule', options, 'an options object');
  checkKnownKeys(options, MODULE_OPTION_KEYS, 'queueModule');
  checkOption(timerMsField(0).optional(), options.drainTimeoutMs, 'queueModule.drainTimeoutMs');
  if (options.manager !== undefined && !(options.manager instanceof QueueManager)) {
    throw new QueueConfigError('queueModule.manager', options.manager, 'a QueueManager');
  }
}

/**
 * The messaging layer in a Nest application. `QueueModule.forRoot({ config })` or
 * `QueueModule.forRootAsync({ imports, inject, useFactory })` (extras: `isGlobal` default true,
 * `http` default true). Provides {@link QueueManager} (created from the configuration, default
 * `loadConfig()`, or the `manager` given) and {@link QueueHealthIndicator}; discovers decorated
 * handlers at bootstrap; serves GET /health, /health/ready and /metrics when `http` is on.
 * Call `app.enableShutdownHooks()` so that SIGTERM drains the handlers. On close the handlers stop
 * starting and drain before any other module's `onModuleDestroy` (see queue-drain.module.ts). Every HTTP request runs in
 * a server span from its `traceparent` header when the application registered a tracer (docs/tracing.md).
 */
@Module({
  imports: [DiscoveryModule, TerminusModule, QueueDrainModule],
  providers: [
    {
      provide: QueueManager,
      inject: [QUEUE_MODULE_OPTIONS],
      useFactory: (options: QueueModuleOptions) => {
        checkModuleOptions(options);
        return options.manager ?? QueueManager.create(options.config ?? loadConfig(), { logger: new NestQueueLogger() });
      },
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
