/**
 * @meeting/queue/nest: the NestJS integration (see docs/nestjs.md and docs/api.md). Needs the
 * optional peers `@nestjs/common`, `@nestjs/core`, `@nestjs/microservices`, `@nestjs/terminus`,
 * `reflect-metadata` and `rxjs`.
 */
export { OnEvent, OnLocalEvent, OnTask } from './decorators';
export { QueueModule } from './queue.module';
export { QueueDrainingError } from './handler-gate';
export { traceHttpRequests } from './trace-http.middleware';
export { QUEUE_MODULE_OPTIONS } from './queue.module-definition';
export type { QueueModuleExtras, QueueModuleOptions } from './queue.module-definition';
export { NestQueueLogger } from './nest-queue-logger';
export { QueueHealthIndicator } from './queue-health.indicator';
export { QueueHealthController } from './health.controller';
export { QueueMetricsController } from './metrics.controller';
export { QueueTransportServer, RpcHandlerError } from './transport/queue-transport.server';
export type { QueueTransportServerOptions } from './transport/queue-transport.server';
export { QueueClientProxy } from './transport/queue-client.proxy';
export type { QueueClientProxyOptions } from './transport/queue-client.proxy';
export { QueueRecord, QueueRecordBuilder, isRpcErrorReply } from './transport/queue-record';
export type { QueueRecordOptions, RpcErrorReply } from './transport/queue-record';
export { QueueEventContext, QueueTaskContext } from './transport/queue-contexts';
export { QueueDashboardModule } from './dashboard.module';
export type { QueueDashboardOptions } from './dashboard.module';
export { closeOnSignals, loadServiceConfig, runNestService } from './run-service';
export { LogSettingError, ServiceLogger, logSettings } from './service-logger';
export { HTTP_REQUEST_DURATION, HttpMetricsInterceptor } from './http-metrics.interceptor';
export type { RunServiceOptions } from './run-service';
