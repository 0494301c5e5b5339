import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { EventContext, EventEnvelope } from '../events/event-bus';
import { QueueManager } from '../manager/queue-manager';
import { EVENT_HANDLER_METADATA, LOCAL_EVENT_HANDLER_METADATA, TASK_HANDLER_METADATA, TaskHandlerMetadata } from './decorators';
import { QUEUE_MODULE_OPTIONS, QueueModuleOptions } from './queue.module-definition';

/**
 * Finds `@OnTask`, `@OnEvent` and `@OnLocalEvent` methods on every static provider
 * and controller when the application bootstraps, registers them with the QueueManager and starts
 * it (workers begin only then). Drains and shuts the manager down before the application shuts down.
 */
@Injectable()
export class QueueExplorer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('QueueModule');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly manager: QueueManager,
    @Inject(QUEUE_MODULE_OPTIONS) private readonly options: QueueModuleOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const wrappers = [...this.discovery.getProviders(), ...this.discovery.getControllers()];
    let count = 0;
    for (const wrapper of wrappers) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance);
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const method = instance[name] as (...args: unknown[]) => unknown;
        if (typeof method !== 'function') continue;
        const where = `${wrapper.name?.toString() ?? 'provider'}.${name}`;
        count += this.register(method.bind(instance), method, where);
      }
    }
    await this.manager.start();
    this.logger.log(`${count} queue handler${count === 1 ? '' : 's'} registered; workers started`);
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.logger.log(`draining queue handlers${signal ? ` (${signal})` : ''}`);
    await this.manager.shutdown({ drainTimeoutMs: this.options.drainTimeoutMs });
  }

  private register(bound: (...args: unknown[]) => unknown, method: object, where: string): number {
    let count = 0;
    const task = this.reflector.get<TaskHandlerMetadata | undefined>(TASK_HANDLER_METADATA, method as never);
    if (task) {
      const { type, ...options } = task;
      this.manager.registerTaskHandler(type, (payload, context) => bound(payload, context), options);
      this.logger.log(`task "${type}" -> ${where}`);
      count++;
    }
    const channel = this.reflector.get<string | undefined>(EVENT_HANDLER_METADATA, method as never);
    if (channel) {
      this.manager.subscribe(channel, (event: EventEnvelope, context: EventContext) => bound(event, context));
      this.logger.log(`event "${channel}" -> ${where}`);
      count++;
    }
    const local = this.reflector.get<string | undefined>(LOCAL_EVENT_HANDLER_METADATA, method as never);
    if (local) {
      this.manager.onLocalEvent(local, (event: EventEnvelope, context: EventContext) => bound(event, context));
      this.logger.log(`local event "${local}" -> ${where}`);
      count++;
    }
    return count;
  }
}
