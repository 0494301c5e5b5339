import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ContextIdFactory, DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import { Injector } from '@nestjs/core/injector/injector';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import type { EventContext, EventEnvelope } from '../events/event-bus';
import { QueueManager } from '../manager/queue-manager';
import { EVENT_HANDLER_METADATA, LOCAL_EVENT_HANDLER_METADATA, TASK_HANDLER_METADATA, TaskHandlerMetadata } from './decorators';
import { HandlerGate } from './handler-gate';
import { QueueDrainRegistry } from './queue-drain.module';
import { QUEUE_MODULE_OPTIONS, QueueModuleOptions } from './queue.module-definition';

type Method = (...args: unknown[]) => unknown;

/** Calls a decorated method: on the one instance, or on an instance made for the call (request-scoped providers). */
type Invoke = (name: string, args: unknown[], request: unknown) => unknown;

/**
 * Finds `@OnTask`, `@OnEvent` and `@OnLocalEvent` methods on every provider and controller when
 * the application bootstraps, registers them with the QueueManager and starts it (workers begin
 * only then). A request-scoped provider (or one depending on one) gets an instance per task or
 * event, its `REQUEST` being the task's context or the event. On close, first of all hooks (through
 * {@link QueueDrainRegistry}), the workers stop and the running handlers drain (`drainTimeoutMs`);
 * the manager shuts down in `beforeApplicationShutdown`, with what is left of that time, so other
 * modules can still publish in their `onModuleDestroy`.
 */
@Injectable()
export class QueueExplorer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('QueueModule');
  private readonly injector = new Injector();
  /** Which method handles a task type on a queue: named when a second one is found. */
  private readonly taskOwners = new Map<string, string>();
  /** Registrations made, per class and method: a second instance of the class registers nothing. */
  private readonly registered = new Map<unknown, Map<string, string>>();
  private readonly gate = new HandlerGate();
  private draining?: Promise<void>;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly moduleRef: ModuleRef,
    private readonly manager: QueueManager,
    @Inject(QUEUE_MODULE_OPTIONS) private readonly options: QueueModuleOptions,
    drains: QueueDrainRegistry,
  ) {
    drains.add(() => this.drain());
  }

  async onApplicationBootstrap(): Promise<void> {
    let count = 0;
    for (const wrapper of this.discovery.getProviders()) count += this.explore(wrapper, 'providers');
    for (const wrapper of this.discovery.getControllers()) count += this.explore(wrapper, 'controllers');
    await this.manager.start();
    this.logger.log(`${count} queue handler${count === 1 ? '' : 's'} registered; workers started`);
  }

  /**
   * The first step of closing: the workers stop (`QueueManager.stopWorkers`: nothing more fetched,
   * held messages put back, running tasks drained up to `drainTimeoutMs`, then aborted and put back),
   * decorated event handlers start no more and the running ones drain. Publishing keeps working for
   * the other modules' destroy hooks. Same promise when called again.
   */
  drain(): Promise<void> {
    this.draining ??= (async () => {
      this.logger.log('draining queue handlers: the workers stop taking tasks');
      const drainTimeoutMs = this.drainMsLeft();
      const [eventsFinished] = await Promise.all([this.gate.close(drainTimeoutMs), this.manager.stopWorkers({ drainTimeoutMs })]);
      if (!eventsFinished) this.logger.warn(`event handlers still running after drainTimeoutMs (${this.drainTimeoutMs} ms): the shutdown goes on without them`);
    })();
    return this.draining;
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    await this.drain(); // already done when Nest ran QueueDrainRegistry first
    this.logger.log(`shutting the queue manager down${signal ? ` (${signal})` : ''}`);
    await this.manager.shutdown({ drainTimeoutMs: this.drainMsLeft() });
  }

  private get drainTimeoutMs(): number {
    return this.options.drainTimeoutMs ?? 10_000;
  }

  /** What is left of `drainTimeoutMs` since the drain began (all of it before). */
  private drainMsLeft(): number {
    const since = this.gate.closedSince;
    return since === undefined ? this.drainTimeoutMs : Math.max(0, this.drainTimeoutMs - (Date.now() - since));
  }

  private explore(wrapper: InstanceWrapper, collection: 'providers' | 'controllers'): number {
    const instance = wrapper.instance as Record<string, Method> | undefined;
    if (!instance || typeof instance !== 'object') return 0;
    const isStatic = wrapper.isDependencyTreeStatic();
    const prototype: object | null = isStatic ? Object.getPrototypeOf(instance) : ((wrapper.metatype as { prototype?: object } | null)?.prototype ?? null);
    if (!prototype) return 0;
    const host = wrapper.host;
    const invoke: Invoke = isStatic
      ? (name, args) => instance[name](...args)
      : async (name, args, request) => {
          if (!host) throw new Error(`${String(wrapper.name)}: a request-scoped handler outside a module`);
          const contextId = ContextIdFactory.create();
          this.moduleRef.registerRequestByContextId(request, contextId);
          const perCall = await this.injector.loadPerContext(instance, host, host[collection], contextId, wrapper);
          return perCall[name](...args);
        };
    const owner = `${host?.name ?? 'module'} › ${String(wrapper.name)}`;
    let count = 0;
    for (const name of this.scanner.getAllMethodNames(prototype)) {
      const method = (prototype as Record<string, unknown>)[name];
      if (typeof method !== 'function') continue;
      count += this.register(invoke, name, method, `${owner}.${name}${isStatic ? '' : ' (request-scoped)'}`, wrapper.metatype);
    }
    return count;
  }

  private register(invoke: Invoke, name: string, method: object, where: string, metatype: unknown): number {
    let count = 0;
    for (const task of metadata<TaskHandlerMetadata>(TASK_HANDLER_METADATA, method)) {
      const { type, ...options } = task;
      const queue = options.queue ?? this.manager.config.message_queue.queue_name;
      const key = `${queue}\u0000${type}`;
      if (this.isRepeat(metatype, `${name}\u0000task\u0000${key}`, where)) continue;
      named(where, `@OnTask('${type}')`, this.taskOwners.get(key), () =>
        this.manager.registerTaskHandler(type, (payload, context) => invoke(name, [payload, context], context), options),
      );
      this.taskOwners.set(key, where);
      this.logger.log(`task "${type}" -> ${where}`);
      count++;
    }
    for (const channel of metadata<string>(EVENT_HANDLER_METADATA, method)) {
      if (this.isRepeat(metatype, `${name}\u0000event\u0000${channel}`, where)) continue;
      named(where, `@OnEvent('${channel}')`, undefined, () =>
        this.manager.subscribe(channel, (event: EventEnvelope, context: EventContext) => this.gate.event(where, () => invoke(name, [event, context], event))),
      );
      this.logger.log(`event "${channel}" -> ${where}`);
      count++;
    }
    for (const local of metadata<string>(LOCAL_EVENT_HANDLER_METADATA, method)) {
      if (this.isRepeat(metatype, `${name}\u0000local\u0000${local}`, where)) continue;
      named(where, `@OnLocalEvent('${local}')`, undefined, () =>
        this.manager.onLocalEvent(local, (event: EventEnvelope, context: EventContext) => this.gate.event(where, () => invoke(name, [event, context], event))),
      );
      this.logger.log(`local event "${local}" -> ${where}`);
      count++;
    }
    return count;
  }

  /**
   * Whether this class's method was already registered for the same task type, channel or local
   * event: a second instance of one handler class (a module imported twice, `register()` called
   * from two modules) would handle every event twice or stop the start on its task type.
   */
  private isRepeat(metatype: unknown, key: string, where: string): boolean {
    if (!metatype) return false;
    const done = this.registered.get(metatype) ?? new Map<string, string>();
    this.registered.set(metatype, done);
    const first = done.get(key);
    if (first === undefined) {
      done.set(key, where);
      return false;
    }
    this.logger.warn(`${where}: skipped, the class is provided more than once and ${first} already handles this`);
    return true;
  }
}

/** The decorators' list on a method (empty when it has none). */
function metadata<T>(key: string, method: object): T[] {
  const value: unknown = Reflect.getMetadata(key, method);
  return Array.isArray(value) ? (value as T[]) : [];
}

/**
 * Runs a registration; when it throws (a bad option, a task type handled twice), the error keeps its
 * class, code and path and its message names the decorated method (and the one that already handles the type).
 */
function named(where: string, decorator: string, previous: string | undefined, register: () => unknown): void {
  try {
    register();
  } catch (error) {
    if (error instanceof Error) error.message = `${decorator} on ${where}: ${error.message}${previous ? ` (already handled by ${previous})` : ''}`;
    throw error;
  }
}
