import { queueOptionsFromConfig } from './queue-options-from-config';
import type { QueueAppConfig } from '../config/config.types';
import type { DurabilityTimeoutError } from '../errors';
import { createEventBus } from '../events/create-event-bus';
import { eventBusPrefix } from '../events/event-bus-options';
import type { EventBus } from '../events/event-bus';
import type { LocalEventBus } from '../events/local/local-event-bus';
import type { QueueLogger } from '../logger';
import type { QueueMetrics } from '../metrics/queue-metrics';
import { instrumentBus } from './instrument-bus';
import { createDispatcher } from '../dispatcher/create-dispatcher';
import type { Dispatcher, RoutingTable } from '../dispatcher/dispatcher';
import { MemoryDispatchHub } from '../dispatcher/memory/memory-dispatcher-store';
import type { TaskQueue } from '../queue/queue.types';
import { createScheduler } from '../scheduler/create-scheduler';
import type { Scheduler } from '../scheduler/scheduler';
import { ComponentDisabledError } from './manager.types';
import type { RedisConnections } from './redis-connections';

/** The dispatcher routing table from `task_dispatcher.routes`. */
export function routesFromConfig(config: QueueAppConfig): RoutingTable {
  const table: RoutingTable = {};
  for (const [type, r] of Object.entries(config.task_dispatcher.routes)) {
    table[type] = { queue: r.queue, priority: r.priority, timeoutMs: r.timeout_ms, maxRetries: r.max_retries };
  }
  return table;
}

/**
 * The Redis backend of the scheduler or dispatcher: its own connection, the key prefix (queues'
 * too) and `message_queue.durability` for its own writes (timeouts are logged and counted).
 */
function redisBackend(config: QueueAppConfig, redis: RedisConnections, component: 'scheduler' | 'dispatcher', logger: QueueLogger, metrics?: QueueMetrics) {
  const { replicas, timeout_ms } = config.message_queue.durability;
  const log = logger.child(component === 'scheduler' ? `Scheduler:${config.service_name}` : `Dispatcher:${config.service_name}`);
  return {
    type: 'redis' as const,
    client: redis.take(),
    prefix: config.redis.key_prefix,
    queuePrefix: config.redis.key_prefix,
    queuePartitions: (queue: string) => queueOptionsFromConfig(config, queue).partitions ?? 1,
    durability: { replicas, timeoutMs: timeout_ms },
    onDurabilityTimeout: (error: DurabilityTimeoutError) => {
      log.warn(error.message);
      metrics?.durabilityTimeout(component, error.operation);
    },
  };
}

/** The scheduler of a manager: named after the service (replicas of a service share it), not started. */
export function buildScheduler(
  config: QueueAppConfig,
  redis: RedisConnections | null,
  queues: TaskQueue[],
  logger: QueueLogger,
  metrics?: QueueMetrics,
): Scheduler {
  return createScheduler({
    backend: redis ? redisBackend(config, redis, 'scheduler', logger, metrics) : { type: 'memory' },
    name: config.service_name,
    queues,
    defaultQueue: config.message_queue.queue_name,
    missedPolicy: config.task_scheduler.missed_policy,
    autoStart: false,
    logger,
  });
}

/**
 * A dispatcher of the service whose local queue is `localQueue`. With `enable_callbacks: false`,
 * `onCompleted`/`onFailed` throw {@link ComponentDisabledError}.
 */
export function buildDispatcher(
  config: QueueAppConfig,
  redis: RedisConnections | null,
  hub: MemoryDispatchHub,
  localQueue: string,
  queues: TaskQueue[],
  logger: QueueLogger,
  metrics?: QueueMetrics,
): Dispatcher {
  const d = config.task_dispatcher;
  const dispatcher = createDispatcher({
    service: config.service_name,
    backend: redis ? redisBackend(config, redis, 'dispatcher', logger, metrics) : { type: 'memory', hub },
    routes: routesFromConfig(config),
    routingEnabled: d.enable_routing,
    localQueue,
    queues,
    replyTimeoutMs: d.reply_timeout_ms,
    statusRetentionMs: d.status_retention_seconds * 1000,
    logger,
  });
  if (d.enable_callbacks) return dispatcher;
  const refuse = (): never => {
    throw new ComponentDisabledError('task_dispatcher', 'enable_callbacks');
  };
  const noWebhook = (options?: { webhookUrl?: string }) => {
    if (options?.webhookUrl !== undefined) refuse();
  };
  return {
    service: dispatcher.service,
    dispatch: (type, payload, options) => {
      noWebhook(options);
      return dispatcher.dispatch(type, payload, options);
    },
    dispatchBatch: (items) => {
      if (Array.isArray(items)) items.forEach((item) => noWebhook(item?.options)); // the dispatcher names a non-array
      return dispatcher.dispatchBatch(items);
    },
    dispatchAndWait: (type, payload, options) => {
      noWebhook(options);
      return dispatcher.dispatchAndWait(type, payload, options);
    },
    handle: dispatcher.handle.bind(dispatcher),
    onCompleted: refuse,
    onFailed: refuse,
    onProgress: refuse,
    getStatus: dispatcher.getStatus.bind(dispatcher),
    close: dispatcher.close.bind(dispatcher),
  };
}

/** The in-process bus (always) and the bus of `event_bus.type` (the same object when it is `local`; none when disabled), counted in `metrics`. */
export function buildBuses(
  c: QueueAppConfig,
  redis: RedisConnections | null,
  metrics: QueueMetrics | null,
  logger: QueueLogger,
): { local: LocalEventBus; bus?: EventBus } {
  const e = c.event_bus;
  const common = { serviceName: c.service_name, bufferSize: e.buffer_size, workers: e.workers, bufferFullPolicy: e.buffer_full_policy, logger };
  const local = instrumentBus(createEventBus({ type: 'local', ...common }), metrics ?? undefined);
  if (!e.enabled) return { local };
  if (e.type === 'local') return { local, bus: local };
  const stream = {
    retention: { maxLen: e.stream.max_len, maxAgeMs: e.stream.max_age_seconds * 1000 },
    maxDeliveries: e.stream.max_deliveries,
    claimIdleMs: e.stream.claim_idle_ms,
    blockMs: e.stream.block_ms,
    readCount: e.stream.read_count,
    deadLetterMaxLen: e.stream.dead_letter_max_len,
    outbox: { enabled: e.stream.outbox.enabled, maxSize: e.stream.outbox.max_size },
    partitions: e.stream.partitions,
    channelPartitions: e.stream.channel_partitions,
  };
  const bus = createEventBus({
    type: e.type,
    ...common,
    ...(e.type === 'redis_stream' ? stream : { shardedPubSub: e.sharded_pubsub }),
    client: redis!.take(),
    prefix: eventBusPrefix(c.redis.key_prefix),
  });
  return { local, bus: instrumentBus(bus, metrics ?? undefined) };
}
