import { ConfigurableModuleBuilder } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import type { QueueAppConfig, QueueAppConfigInput } from '../config/config.types';
import type { QueueManager } from '../manager/queue-manager';
import { QueueHealthController } from './health.controller';
import { HttpMetricsInterceptor } from './http-metrics.interceptor';
import { QueueMetricsController } from './metrics.controller';

/** Options of `QueueModule.forRoot` / what `forRootAsync`'s factory returns. */
export interface QueueModuleOptions {
  /** The configuration: a `loadConfig()` result or a raw object in YAML shape (default: `loadConfig()`). Ignored with `manager`. */
  config?: QueueAppConfig | QueueAppConfigInput;
  /** An existing manager (for example the one given to the microservice transport). The module still starts and drains it. */
  manager?: QueueManager;
  /** How long shutdown waits for running handlers (default 10 000 ms). */
  drainTimeoutMs?: number;
}

/**
 * Extras of `forRoot`/`forRootAsync`: `isGlobal` (default true), `http` (default true: GET /health,
 * /health/ready, /health/queues and /metrics, and `http_request_duration_seconds` for every route).
 */
export interface QueueModuleExtras {
  isGlobal?: boolean;
  http?: boolean;
}

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: QUEUE_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<QueueModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras<QueueModuleExtras>({ isGlobal: true, http: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal !== false,
    controllers: extras.http !== false ? [QueueHealthController, QueueMetricsController] : [],
    providers: [...(definition.providers ?? []), ...(extras.http !== false ? [{ provide: APP_INTERCEPTOR, useClass: HttpMetricsInterceptor }] : [])],
  }))
  .build();
