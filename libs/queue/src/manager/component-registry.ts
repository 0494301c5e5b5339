import type { QueueAppConfig } from '../config/config.types';
import type { Dispatcher } from '../dispatcher/dispatcher';
import { MemoryDispatchHub } from '../dispatcher/memory/memory-dispatcher-store';
import { InvalidOptionError } from '../errors';
import type { EventBus } from '../events/event-bus';
import type { LocalEventBus } from '../events/local/local-event-bus';
import type { QueueLogger } from '../logger';
import type { QueueMetrics } from '../metrics/queue-metrics';
import { createQueue } from '../queue/create-queue';
import type { TaskQueue } from '../queue/queue.types';
import type { StoreBackedQueue } from '../queue/task-queue';
import type { Scheduler } from '../scheduler/scheduler';
import { checkQueueName } from '../util/fields';
import { buildBuses, buildDispatcher, buildScheduler } from './components';
import { ComponentDisabledError } from './manager.types';
import type { ShutdownParts } from './ordered-shutdown';
import { queueOptionsFromConfig } from './queue-options-from-config';
import type { RedisConnections } from './redis-connections';

/**
 * The components of a `QueueManager`, built from its configuration: the queues (those of the
 * configuration at {@link build}, others on first use), the event bus and the in-process bus, the
 * scheduler and one dispatcher per local queue (on first use). A disabled component throws
 * ComponentDisabledError when asked for.
 */
export class ComponentRegistry {
  /** Every queue opened so far, by name. */
  readonly queueMap = new Map<string, StoreBackedQueue>();
  private readonly dispatchers = new Map<string, Dispatcher>();
  private readonly memoryHub = new MemoryDispatchHub();
  private eventBus?: EventBus;
  private localBus!: LocalEventBus;
  private taskScheduler?: Scheduler;

  constructor(
    private readonly config: QueueAppConfig,
    private readonly redis: RedisConnections | null,
    private readonly metrics: QueueMetrics | null,
    private readonly rootLogger: QueueLogger,
  ) {}

  /** Opens the queues of the configuration and builds the buses and the scheduler (once, right after construction). */
  build(): void {
    const c = this.config;
    if (c.message_queue.enabled) {
      this.queue(c.message_queue.queue_name);
      for (const name of Object.keys(c.message_queue.queues)) this.queue(name);
    }
    const buses = buildBuses(c, this.redis, this.metrics, this.rootLogger);
    this.localBus = buses.local;
    this.eventBus = buses.bus;
    if (c.task_scheduler.enabled && c.message_queue.enabled)
      this.taskScheduler = buildScheduler(this.config, this.queueRedis, this.queues, this.rootLogger, this.metrics ?? undefined);
  }

  /** Connections for queues, scheduler and dispatcher: none with `message_queue.type: memory` (even when a Redis bus is used). */
  private get queueRedis(): RedisConnections | null {
    return this.config.message_queue.type === 'redis' ? this.redis : null;
  }

  /** The queue `name`, opened on first use with the `message_queue` defaults. */
  queue(name: string): TaskQueue {
    if (!this.config.message_queue.enabled) throw new ComponentDisabledError('message_queue');
    const known = this.queueMap.get(name);
    if (known) return known;
    checkQueueName(name, 'queue.name', InvalidOptionError);
    const redis = this.queueRedis;
    const backend = redis ? { type: 'redis' as const, client: redis.take(), prefix: this.config.redis.key_prefix } : { type: 'memory' as const };
    const queue = createQueue({ ...queueOptionsFromConfig(this.config, name), backend, observer: this.metrics?.queueObserver, logger: this.rootLogger });
    this.queueMap.set(name, queue);
    return queue;
  }

  /** Every queue opened so far. */
  get queues(): TaskQueue[] {
    return [...this.queueMap.values()];
  }

  /** The event bus of `event_bus.type`, undefined when `event_bus.enabled` is false. */
  get busIfEnabled(): EventBus | undefined {
    return this.eventBus;
  }

  get events(): EventBus {
    if (!this.eventBus) throw new ComponentDisabledError('event_bus');
    return this.eventBus;
  }

  get localEvents(): LocalEventBus {
    return this.localBus;
  }

  /** The scheduler, undefined when it is disabled. */
  get schedulerIfEnabled(): Scheduler | undefined {
    return this.taskScheduler;
  }

  get scheduler(): Scheduler {
    if (!this.taskScheduler) throw new ComponentDisabledError('task_scheduler');
    return this.taskScheduler;
  }

  /** The dispatcher whose local queue is `queue`, created on first use. */
  dispatcherFor(queue: string): Dispatcher {
    if (!this.config.task_dispatcher.enabled) throw new ComponentDisabledError('task_dispatcher');
    let dispatcher = this.dispatchers.get(queue);
    if (!dispatcher) {
      this.queue(queue);
      dispatcher = buildDispatcher(this.config, this.queueRedis, this.memoryHub, queue, this.queues, this.rootLogger, this.metrics ?? undefined);
      this.dispatchers.set(queue, dispatcher);
    }
    return dispatcher;
  }

  /** The components in the shape of `shutdownInOrder` (each bus once). */
  shutdownParts(): Omit<ShutdownParts, 'starting' | 'redis'> {
    return {
      scheduler: this.taskScheduler,
      buses: [...new Set([this.eventBus, this.localBus].filter((b): b is EventBus => !!b))],
      queues: this.queues,
      dispatchers: [...this.dispatchers.values()],
    };
  }
}
