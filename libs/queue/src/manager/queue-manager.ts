import { parseConfig } from '../config/config-loader';
import type { QueueAppConfig, QueueAppConfigInput } from '../config/config.types';
import { isResolvedConfig } from '../config/resolved-config';
import { InvalidOptionError } from '../errors';
import { ConsoleQueueLogger, QueueLogger } from '../logger';
import type { EventBus, EventHandler, EventSubscribeOptions } from '../events/event-bus';
import type { LocalEventBus } from '../events/local/local-event-bus';
import { QueueMetrics } from '../metrics/queue-metrics';
import { assertSubscriptionKey } from '../events/cloud-event';
import {
  callOptions,
  checkKnownKeys,
  checkOption,
  checkQueueName,
  checkTaskType,
  drainTimeoutOf,
  withDrainTimeout,
  knownKeys,
  timerMsField,
} from '../util/fields';
import { subscribeOnceOf } from '../events/base-event-bus';
import { QUEUE_FIELDS } from '../queue/queue-options';
import type { HandlerContext, PublishOptions, QueueMessage, TaskQueue } from '../queue/queue.types';
import type { ScheduledTask, Scheduler, ScheduleWhen } from '../scheduler/scheduler';
import type { Dispatcher } from '../dispatcher/dispatcher';
import { ComponentRegistry } from './component-registry';
import { DeferredRegistrations } from './deferred-registrations';
import { dispatchContext } from '../dispatcher/dispatch-context';
import { taskIdOf } from '../dispatcher/dispatch-prepare';
import { collectStats, metricsSnapshot, queueHealth, readiness, ReadinessCheck } from './manager-report';
import { shutdownInOrder } from './ordered-shutdown';
import {
  ComponentDisabledError,
  ManagedTaskHandler,
  ManagerState,
  ManagerStats,
  QueueManagerOptions,
  ShutdownOptions,
  ShutdownReport,
  TaskHandlerOptions,
} from './manager.types';
import type { RedisCheckReport } from './redis-checks';
import { openCheckedRedis, RedisConnections } from './redis-connections';
import { exitOnSignals } from './shutdown-guard';

const MANAGER_OPTION_KEYS = knownKeys<QueueManagerOptions>({ logger: true, env: true });
const TASK_HANDLER_KEYS = knownKeys<TaskHandlerOptions>({ queue: true, concurrency: true, timeoutMs: true });

/**
 * Checks what `subscribe` (or `onLocalEvent`) is given, at the paths the bus itself uses
 * (`subscribe.channel`, `subscribe.handler`, `subscribe.options.<key>`), so a registration kept
 * until start is refused at the call, not by a failed `start` that stops the whole manager.
 */
function checkSubscription(key: unknown, handler: unknown, options: unknown, path: string, keyName: string): void {
  assertSubscriptionKey(key, `${path}.${keyName}`);
  if (typeof handler !== 'function') throw new InvalidOptionError(`${path}.handler`, handler, 'a function');
  subscribeOnceOf(options, `${path}.options`);
}

/**
 * The options of `registerTaskHandler`, checked at the call (not first when `start` registers the
 * handler): an object of known keys with usable values. Throws InvalidOptionError at `taskHandler.<key>`
 * (`taskHandler.options` when it is not an object).
 */
function checkTaskHandlerOptions(options: unknown): TaskHandlerOptions {
  const o = callOptions(options, TASK_HANDLER_KEYS, 'taskHandler', 'taskHandler.options') as TaskHandlerOptions;
  if (o.timeoutMs !== undefined) checkOption(timerMsField(1), o.timeoutMs, 'taskHandler.timeoutMs', InvalidOptionError);
  if (o.concurrency !== undefined) checkOption(QUEUE_FIELDS.concurrency(), o.concurrency, 'taskHandler.concurrency', InvalidOptionError);
  if (o.queue !== undefined) checkQueueName(o.queue, 'taskHandler.queue', InvalidOptionError);
  return o;
}

/**
 * One manager for every messaging component of a service, built from the configuration and usable
 * without Nest: named priority queues, the event bus (`event_bus.type`), the in-process bus, the
 * scheduler and the dispatcher. It owns the Redis connections (`redis.pool.size` command
 * connections; see docs/configuration.md for the full count), checks Redis at start, aggregates
 * statistics under the seed's names and shuts everything down in order.
 */
export class QueueManager {
  /** The manager's own lines (context `QueueManager`). */
  readonly logger: QueueLogger;
  /** Null when `metrics.enabled` is false. */
  readonly metrics: QueueMetrics | null;
  private readonly components: ComponentRegistry;
  private readonly registrations = new DeferredRegistrations();
  private readonly handledTypes = new Set<string>();
  private currentState: ManagerState = 'created';
  /** Set by stopWorkers (task handlers are refused from then on). */
  private workersStopping?: Promise<void>;
  private starting?: Promise<void>;
  private started?: Promise<void>;
  private stopping?: Promise<ShutdownReport>;

  private constructor(
    readonly config: QueueAppConfig,
    /** Null when nothing in the configuration uses Redis (memory queue, local bus). */
    readonly redis: RedisConnections | null,
    /** What the start-up check of Redis found (null without Redis). */
    readonly redisReport: RedisCheckReport | null,
    /** Root logger: components log through its children. */
    rootLogger: QueueLogger,
  ) {
    this.logger = rootLogger.child('QueueManager');
    this.metrics = config.metrics.enabled ? new QueueMetrics({ prefix: config.metrics.prefix, defaultMetrics: config.metrics.default_metrics }) : null;
    this.components = new ComponentRegistry(config, redis, this.metrics, rootLogger);
    this.metrics?.setSnapshotSource(() => metricsSnapshot(this, this.components.queueMap, this.components.busIfEnabled));
  }

  /**
   * Validates the configuration (a raw object in YAML shape, or the result of `loadConfig`),
   * connects to Redis when a component needs it, checks it (version, eviction policy, persistence)
   * and builds every enabled component. Workers start with {@link start}.
   * @throws ConfigValidationError listing every problem; RedisStartupError when Redis is unreachable or too old;
   * QueueConfigError for an unknown key of `options` (`queueManager.<key>`); InvalidOptionError at
   * `queueManager.config` for null, a scalar or an array (nothing, not null, means every default).
   */
  static async create(input: QueueAppConfig | QueueAppConfigInput = {}, options: QueueManagerOptions = {}): Promise<QueueManager> {
    checkKnownKeys(options, MANAGER_OPTION_KEYS, 'queueManager');
    // null or a scalar is a mistake (an unset variable), not "every default": refused before connecting
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw new InvalidOptionError('queueManager.config', input, 'a configuration object (YAML shape), or nothing for every default');
    }
    const config = isResolvedConfig(input) ? input : parseConfig(input, { env: options.env ?? process.env });
    const rootLogger = options.logger ?? new ConsoleQueueLogger();
    const opened = await openCheckedRedis(config, rootLogger.child('QueueManager'));
    const manager = new QueueManager(config, opened?.redis ?? null, opened?.report ?? null, rootLogger);
    try {
      manager.components.build();
    } catch (error) {
      await opened?.redis.close();
      throw error;
    }
    return manager;
  }

  get state(): ManagerState {
    return this.currentState;
  }

  /** Task handlers registered through the manager. */
  get handlerCount(): number {
    return this.handledTypes.size;
  }

  /** Readiness checks: the manager is running, Redis answers PING and its connections are ready. */
  readiness(): Promise<{ ok: boolean; checks: ReadinessCheck[] }> {
    return readiness(this);
  }

  /** Per-queue report: backlog and dead letters against the `health` thresholds (not a probe). */
  queueHealth(): Promise<{ ok: boolean; checks: ReadinessCheck[] }> {
    return queueHealth(this);
  }

  /**
   * The queue `name` (default `message_queue.queue_name`). Queues of the configuration are opened
   * at creation; another name is opened on first use with the `message_queue` defaults.
   * @throws ComponentDisabledError when `message_queue.enabled` is false; InvalidOptionError for a bad name.
   */
  queue(name: string = this.config.message_queue.queue_name): TaskQueue {
    return this.components.queue(name);
  }

  /** Every queue opened so far. */
  get queues(): TaskQueue[] {
    return this.components.queues;
  }

  /** The event bus of `event_bus.type` (the in-process bus when the type is `local`). @throws ComponentDisabledError */
  get events(): EventBus {
    return this.components.events;
  }

  /** The in-process bus for components of this service (always available). */
  get localEvents(): LocalEventBus {
    return this.components.localEvents;
  }

  /** @throws ComponentDisabledError when `task_scheduler.enabled` is false. */
  get scheduler(): Scheduler {
    return this.components.scheduler;
  }

  /** The dispatcher of this service (local queue: `message_queue.queue_name`). @throws ComponentDisabledError */
  get dispatcher(): Dispatcher {
    return this.dispatcherFor(this.config.message_queue.queue_name);
  }

  /** A dispatcher whose local queue is `queue` (handlers of that queue report status and replies). One per queue, created on first use. */
  dispatcherFor(queue: string): Dispatcher {
    return this.components.dispatcherFor(queue);
  }

  /**
   * Registers a task handler. Before {@link start} it is kept and registered by `start` (workers
   * begin then); afterwards at once. Goes through the queue's dispatcher when the dispatcher is
   * enabled (status, callbacks and replies of dispatched tasks), else straight on the queue.
   * @throws InvalidOptionError for a bad type (`taskHandler.type`), handler (`taskHandler.handler`: not a
   *         function) or option (`taskHandler.<key>`, `taskHandler.options`), or a type already handled on that queue.
   */
  registerTaskHandler<P = unknown, R = unknown>(type: string, handler: ManagedTaskHandler<P, R>, options?: TaskHandlerOptions): void {
    checkTaskType(type, 'taskHandler.type');
    if (typeof handler !== 'function') throw new InvalidOptionError('taskHandler.handler', handler, 'a function');
    const checked = checkTaskHandlerOptions(options);
    const queueName = checked.queue ?? this.config.message_queue.queue_name;
    const key = `${queueName}\u0000${type}`;
    if (this.handledTypes.has(key)) throw new InvalidOptionError('taskHandler.type', type, `a task type without a handler on queue "${queueName}"`);
    if (this.workersStopping) throw new InvalidOptionError('register', this.currentState, 'a manager whose workers are not stopped (stopWorkers was called)');
    this.handledTypes.add(key);
    const fn = handler as ManagedTaskHandler;
    // the queue's run enforces timeoutMs (the one time limit of an attempt)
    const runOptions = { concurrency: checked.concurrency, timeoutMs: checked.timeoutMs };
    const register = () => {
      if (this.config.task_dispatcher.enabled) {
        this.dispatcherFor(queueName).handle(type, fn, runOptions);
      } else {
        const queue = this.queue(queueName);
        queue.process(
          type,
          (message: QueueMessage, ctx: HandlerContext) =>
            fn(message.payload, dispatchContext(ctx, message, taskIdOf(queue.name, message.id), this.config.service_name)),
          runOptions,
        );
      }
    };
    try {
      void this.whenStarted(register);
    } catch (error) {
      this.handledTypes.delete(key);
      throw error;
    }
  }

  /**
   * Subscribes a handler on the event bus at {@link start}, or at once when running; the promise
   * resolves when the subscription is active (a caller before start need not await it).
   * @throws ComponentDisabledError when `event_bus.enabled` is false; InvalidOptionError at once (before start
   *         too) for a bad channel or pattern (`subscribe.channel`), handler (`subscribe.handler`) or options
   *         (`subscribe.options`, `subscribe.options.<key>`, `subscribe.options.once`).
   */
  subscribe<T = unknown>(channelOrPattern: string, handler: EventHandler<T>, options?: EventSubscribeOptions): Promise<void> {
    const bus = this.events;
    checkSubscription(channelOrPattern, handler, options, 'subscribe', 'channel');
    return this.whenStarted(async () => void (await bus.subscribe(channelOrPattern, handler, options)));
  }

  /**
   * Adds a handler on the in-process bus (at {@link start}, or at once when running).
   * @throws InvalidOptionError at once (before start too) for a bad type or pattern (`on.type`) or handler (`on.handler`), the paths of the bus's `on`.
   */
  onLocalEvent<T = unknown>(typeOrPattern: string, handler: EventHandler<T>): Promise<void> {
    checkSubscription(typeOrPattern, handler, undefined, 'on', 'type');
    return this.whenStarted(() => void (this.localEvents as unknown as { on(k: string, h: EventHandler<T>): () => void }).on(typeOrPattern, handler));
  }

  /** Seed helper: publishes a task on queue `queue` (default `message_queue.queue_name`); resolves to the message id. */
  publishTask<P>(task: PublishOptions<P>, queue?: string): Promise<string> {
    return this.queue(queue).publish(task);
  }

  /** Seed helper: publishes a system event on the event bus; resolves to the event id. */
  publishEvent<T>(channel: string, type: string, data?: T): Promise<string> {
    return this.events.publish(channel, type, data);
  }

  /**
   * Seed helper: schedules a task (delayed, at a date, cron or interval) through the scheduler.
   * @throws ComponentDisabledError for a one-off delayed task when `task_scheduler.enable_delayed_tasks` is false.
   */
  scheduleTask<P>(task: ScheduledTask<P>, when: ScheduleWhen): Promise<string> {
    const oneOff = when !== null && typeof when === 'object' && ('delayMs' in when || 'at' in when);
    if (!this.config.task_scheduler.enable_delayed_tasks && oneOff) {
      throw new ComponentDisabledError('task_scheduler', 'enable_delayed_tasks');
    }
    return this.scheduler.schedule(task, when);
  }

  /**
   * Registers the handlers kept so far and starts the scheduler. Safe to call twice. All or
   * nothing: when a registration fails (a subscription refused by the ACL user, for example), what
   * had started is shut down and `start` rejects with that failure; the manager is then stopped.
   */
  start(): Promise<void> {
    this.started ??= this.startOnce().catch(async (error: unknown) => {
      this.logger.error(`start failed, stopping what had started (nothing runs): ${(error as Error).message}`);
      await this.shutdown({ drainTimeoutMs: 1000 });
      throw error;
    });
    return this.started;
  }

  private startOnce(): Promise<void> {
    this.starting ??= (async () => {
      this.currentState = 'starting';
      await this.registrations.flush();
      this.components.schedulerIfEnabled?.start();
      this.currentState = 'running';
      this.logger.log(
        `started: queues ${[...this.components.queueMap.keys()].join(', ') || 'none'}; event bus ${this.components.busIfEnabled?.type ?? 'off'}; scheduler ${this.components.schedulerIfEnabled ? 'on' : 'off'}; dispatcher ${this.config.task_dispatcher.enabled ? 'on' : 'off'}`,
      );
    })();
    return this.starting;
  }

  /**
   * Stops taking work, drains running handlers (up to `drainTimeoutMs`, then aborts them and puts
   * their messages back), flushes the event outbox, then closes the Redis connections. Order:
   * scheduler, event buses, queues, dispatchers, connections. Safe to call twice (same promise);
   * SIGTERM/SIGINT during it are logged and ignored.
   */
  shutdown(options?: ShutdownOptions): Promise<ShutdownReport> {
    return withDrainTimeout(options, 'shutdown', 10_000, (drainMs) => (this.stopping ??= this.doShutdown(drainMs)));
  }

  /**
   * The first step of a shutdown in two (the Nest module's, before other modules close what handlers
   * use): stops the workers of every queue opened so far in this process (see
   * `TaskQueue.stopWorkers`: nothing more fetched or started, held messages put back, running
   * handlers drained up to `drainTimeoutMs`, then aborted and put back) and refuses new task
   * handlers. Publishing, events, the scheduler and the connections go on until {@link shutdown}.
   * The state is `stopping` from the call (readiness fails: no new traffic is routed here). Safe to
   * call twice (same promise).
   * @throws InvalidOptionError at `stopWorkers.drainTimeoutMs` (or `stopWorkers.options`).
   */
  stopWorkers(options?: ShutdownOptions): Promise<void> {
    return withDrainTimeout(
      options,
      'stopWorkers',
      10_000,
      (drainMs) =>
        (this.workersStopping ??= (async () => {
          if (this.currentState === 'running') this.currentState = 'stopping';
          await Promise.all(this.queues.map((queue) => queue.stopWorkers({ drainTimeoutMs: drainMs })));
        })()),
    );
  }

  /** Without Nest: shut down and exit on SIGTERM/SIGINT. Returns the remover. */
  exitOnSignals(options?: ShutdownOptions): () => void {
    drainTimeoutOf(options, 'exitOnSignals', 10_000); // refused now, not when the signal comes
    return exitOnSignals(() => this.shutdown(options), this.logger);
  }

  /** Statistics of every component under the seed's names. */
  stats(): Promise<ManagerStats> {
    const c = this.components;
    return collectStats(this, c.queueMap, c.busIfEnabled, c.localEvents, c.schedulerIfEnabled);
  }

  private whenStarted(register: () => Promise<void> | void): Promise<void> {
    if (this.stopping) throw new InvalidOptionError('register', this.currentState, 'a manager that is not shutting down');
    return this.registrations.add(register);
  }

  private async doShutdown(drainTimeoutMs: number): Promise<ShutdownReport> {
    this.currentState = 'stopping';
    const report = await shutdownInOrder({ starting: this.starting, ...this.components.shutdownParts(), redis: this.redis }, drainTimeoutMs, this.logger);
    this.currentState = 'stopped';
    this.logger.log('shut down');
    return report;
  }
}
