import { Injectable, Logger, Module, OnModuleDestroy } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';

/** What a QueueExplorer registers: stops its handlers from starting and waits for the running ones. */
export type QueueDrain = () => Promise<void>;

/**
 * Drains every QueueModule's handlers in the FIRST `onModuleDestroy` Nest calls on close (app.close()
 * or a shutdown signal), before any other module's `onModuleDestroy` closes what the handlers use.
 *
 * Nest calls the destroy hooks module by module in ascending `distance` (the root module 1, its
 * imports 2, ..., global modules Number.MAX_VALUE: last). The constructor runs while the application
 * is created, before Nest sorts the modules for its hooks, and gives this module the lowest distance,
 * so its hooks come last on start (it has none) and first on close. `distance` is a public accessor
 * of Nest's Module (found through the public ModulesContainer); were it to disappear, a warning says
 * so and the queue drains as before, in the explorer's `beforeApplicationShutdown`
 * (nest/queue-shutdown-order.spec.ts checks the order against the installed Nest).
 */
@Injectable()
export class QueueDrainRegistry implements OnModuleDestroy {
  private readonly logger = new Logger('QueueModule');
  private readonly drains = new Set<QueueDrain>();

  constructor(modules: ModulesContainer) {
    const own = [...modules.values()].filter((module) => module.metatype === QueueDrainModule);
    const movable = own.length > 0 && own.every((module) => typeof module.distance === 'number');
    if (movable) for (const module of own) module.distance = -Number.MAX_VALUE;
    else this.logger.warn('cannot order the queue drain first on close (Nest module distance not found): handlers drain after the other modules closed');
  }

  /** Registers a drain to run first on close. */
  add(drain: QueueDrain): void {
    this.drains.add(drain);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.drains].map((drain) => drain()));
  }
}

/** Imported by QueueModule: holds {@link QueueDrainRegistry}, ordered first on close. */
@Module({ providers: [QueueDrainRegistry], exports: [QueueDrainRegistry] })
export class QueueDrainModule {}
