import type { QueueAppConfig } from '../config/config.types';
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

/** The scheduler of a manager: named after the service (replicas of a service share it), not started. */
export function buildScheduler(config: QueueAppConfig, redis: RedisConnections | null, queues: TaskQueue[]): Scheduler {
  return createScheduler({
    backend: redis ? { type: 'redis', client: redis.take(), prefix: config.redis.key_prefix, queuePrefix: config.redis.key_prefix } : { type: 'memory' },
    name: config.service_name,
    queues,
    defaultQueue: config.message_queue.queue_name,
    autoStart: false,
  });
}

/**
 * A dispatcher of the service whose local queue is `localQueue`. With `enable_callbacks: false`,
 * `onCompleted`/`onFailed` throw {@link ComponentDisabledError}.
 */
export function buildDispatcher(config: QueueAppConfig, redis: RedisConnections | null, hub: MemoryDispatchHub, localQueue: string, queues: TaskQueue[]): Dispatcher {
  const d = config.task_dispatcher;
  const dispatcher = createDispatcher({
    service: config.service_name,
    backend: redis ? { type: 'redis', client: redis.take(), prefix: config.redis.key_prefix, queuePrefix: config.redis.key_prefix } : { type: 'memory', hub },
    routes: routesFromConfig(config),
    routingEnabled: d.enable_routing,
    localQueue,
    queues,
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
      items.forEach((item) => noWebhook(item?.options));
      return dispatcher.dispatchBatch(items);
    },
    dispatchAndWait: (type, payload, options) => {
      noWebhook(options);
      return dispatcher.dispatchAndWait(type, payload, options);
    },
    handle: dispatcher.handle.bind(dispatcher),
    onCompleted: refuse,
    onFailed: refuse,
    getStatus: dispatcher.getStatus.bind(dispatcher),
    close: dispatcher.close.bind(dispatcher),
  };
}
