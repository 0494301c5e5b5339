/**
 * @meeting/queue: the messaging layer of the meeting platform, without Nest (see docs/api.md).
 *
 * - the four-tier priority task queue (Redis and memory backends), leases, retries, DLQ;
 * - event buses (Redis pub/sub, Redis Streams, in-process);
 * - scheduler and dispatcher; the QueueManager built from YAML configuration; Prometheus metrics;
 * - Redis connections, typed errors and the logger interface.
 *
 * The NestJS integration is `@meeting/queue/nest`, the test harness `@meeting/queue/testing`.
 * Everything not exported here (stores, key builders, Lua loaders, codec, schema helpers) is
 * internal and may change without notice.
 */

// Errors
export {
  BatchTooLargeError,
  DeadLetterNotFoundError,
  DurabilityTimeoutError,
  InvalidOptionError,
  LeaseLostError,
  NonRetryableError,
  OutboxFullError,
  PayloadTooLargeError,
  PublishTimeoutError,
  QueueClosedError,
  QueueConfigError,
  QueueError,
  RedisAuthError,
  RedisPermanentError,
  RedisPermissionError,
  RedisTlsError,
  RedisUnavailableError,
  RedisKeyTypeError,
  RedisOutOfMemoryError,
  TaskTimeoutError,
} from './errors';

// Logging
export { ConsoleQueueLogger } from './logger';
export type { ConsoleQueueLoggerOptions, LogFormat, QueueLogger } from './logger';

// Task queue
export { createQueue } from './queue/create-queue';
export { sleepUnlessAborted } from './util/abort';
export type { CreateQueueOptions, QueueBackend } from './queue/create-queue';
export type { StoreBackedQueue } from './queue/task-queue';
export { PRIORITIES } from './queue/queue.types';
export { QUEUE_NAME_EXPECTED, QUEUE_NAME_PATTERN } from './util/fields';
export type {
  CloseOptions,
  DeadLetter,
  DeadLetterPage,
  DeadLetterQueue,
  HandlerContext,
  MessageState,
  MessageStatus,
  Priority,
  ProcessOptions,
  ProgressEvent,
  PublishOptions,
  QueueMessage,
  QueueStats,
  RecordedError,
  TaskHandler,
  TaskQueue,
} from './queue/queue.types';
export type { BackoffOptions, QueueOptions, RateLimit, ResolvedQueueOptions, SchedulingOptions } from './queue/queue-options';
export type { QueueObserver } from './queue/queue-observer';

// Redis connections
export { createRedisClient, isConnectionError, maskRedisUrl } from './redis/redis-connection';
export type { RedisOutageLogger } from './redis/outage-log';
export type { RedisClient, RedisConnectionOptions } from './redis/redis-connection';
export type { RedisTlsOption, RedisTlsSettings } from './redis/redis-tls';
export { resolveEmbeddedRedis } from './redis/embedded-redis';
export type { EmbeddedRedis } from './redis/embedded-redis';

// Event buses
export { createEventBus } from './events/create-event-bus';
export { EventBusClosedError, ShardedPatternError } from './events/event-errors';
export type {
  BufferFullPolicy,
  EventBus,
  EventBusCloseOptions,
  EventBusCloseReport,
  EventBusStats,
  EventBusType,
  EventContext,
  EventEnvelope,
  EventHandler,
  EventInput,
  EventPublishOptions,
  EventSubscribeOptions,
  EventSubscription,
  UnsentEvent,
} from './events/event-bus';
export type {
  CommonEventBusOptions,
  EventBusOptions,
  LocalEventBusOptions,
  RedisEventBusConnectionOptions,
  RedisPubSubBusOptions,
  RedisPubSubEventBusOptions,
  RedisStreamBusOptions,
  RedisStreamEventBusOptions,
  StreamRetention,
} from './events/event-bus-options';
export type { EventKey, LocalEventBus, LocalEventBusStats, EmitResult, WildcardPattern } from './events/local/local-event-bus';
export type { RedisPubSubEventBus } from './events/redis-pubsub/redis-pubsub-bus';
export type { RedisStreamBusStats, RedisStreamEventBus } from './events/redis-stream/redis-stream-bus';
export type { DeadLetterEvent, GroupLag } from './events/redis-stream/stream-info';

// Scheduler
export { createScheduler } from './scheduler/create-scheduler';
export type { CreateSchedulerOptions, SchedulerBackend } from './scheduler/create-scheduler';
export { MemorySchedulerStore } from './scheduler/memory/memory-scheduler-store';
export type { MissedPolicy, RecurringOptions, ScheduledTask, ScheduleInfo, Scheduler, SchedulerStats, ScheduleWhen } from './scheduler/scheduler';

// Dispatcher
export { createDispatcher } from './dispatcher/create-dispatcher';
export type { CreateDispatcherOptions, DispatcherBackend } from './dispatcher/create-dispatcher';
export type { TaskDispatcher } from './dispatcher/task-dispatcher';
export { MemoryDispatchHub } from './dispatcher/memory/memory-dispatcher-store';
export { DispatchTimeoutError, RemoteTaskError, UnknownRouteError } from './dispatcher/dispatcher-errors';
export type {
  BatchItem,
  CompletedTask,
  DispatchAndWaitOptions,
  DispatchHandler,
  DispatchHandlerContext,
  DispatchOptions,
  Dispatcher,
  FailedTask,
  RouteConfig,
  RoutingTable,
  TaskProgress,
  TaskState,
  TaskStatus,
} from './dispatcher/dispatcher';
export type { WebhookOptions } from './dispatcher/webhook';

// Configuration
export { loadConfig, parseConfig, readYamlFile } from './config/config-loader';
export type { LoadConfigOptions } from './config/config-loader';
export { ConfigFileError, ConfigValidationError } from './config/config-errors';
export { maskConfig } from './config/mask-config';
export type * from './config/config.types';

// Metrics
export { QueueMetrics } from './metrics/queue-metrics';
export type { MetricsSnapshot, QueueMetricsOptions } from './metrics/queue-metrics';

// QueueManager
export { QueueManager } from './manager/queue-manager';
export { ComponentDisabledError } from './manager/manager.types';
export type {
  ManagedTaskHandler,
  ManagerState,
  ManagerStats,
  QueueManagerOptions,
  ShutdownOptions,
  ShutdownReport,
  TaskHandlerOptions,
} from './manager/manager.types';
export { RedisStartupError } from './manager/redis-checks';
export type { RedisCheckReport, RedisNodeReport } from './manager/redis-checks';
export type { RedisConnections } from './manager/redis-connections';
export type { ReadinessCheck } from './manager/manager-report';

// Operators: admin access (the mq CLI) and the dashboard's request handler (its Nest module is in @meeting/queue/nest)
export { AdminConnectionError, QueueAdmin } from './admin/queue-admin';
export type { DeadLetterFilter, InFlightPage, QueueAdminOptions, QueueInfo, ScheduleEntry, StreamGroupInfo, TailedEvent } from './admin/queue-admin';
export type { InFlightMessage, QueueLatency } from './admin/queue-activity';
export type { QueueRateLimits, RateLimitInfo } from './admin/rate-limits';
export type { QueueGroupInfo, QueueGroups } from './admin/queue-groups';
export type { PubSubChannelInfo, PubSubOverview } from './admin/pubsub-channels';
export { parseSince, SINCE_EXPECTED } from './admin/since';
export type { QueueWorkerInfo } from './queue/queue-inspection.types';
export { createDashboardHandler } from './dashboard/dashboard-handler';
export type { DashboardOptions } from './dashboard/dashboard-handler';
export { ADMIN_TOKEN_MIN_LENGTH } from './dashboard/dashboard-auth';
export { checkAllowedHosts } from './dashboard/allowed-hosts';
export type { TokenAttemptOptions } from './dashboard/token-attempts';
export { startDashboardServer } from './dashboard/dashboard-server';

// Tracing (W3C trace context through @opentelemetry/api; docs/tracing.md)
export { activeTraceCarrier, contextFromCarrier, tracerRegistered } from './tracing/trace-context';
export type { TraceCarrier } from './tracing/trace-context';
