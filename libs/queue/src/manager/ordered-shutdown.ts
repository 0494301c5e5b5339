import type { QueueLogger } from '../logger';
import type { Dispatcher } from '../dispatcher/dispatcher';
import type { EventBus } from '../events/event-bus';
import type { TaskQueue } from '../queue/queue.types';
import type { Scheduler } from '../scheduler/scheduler';
import type { ShutdownReport } from './manager.types';
import { within } from '../util/retry';
import type { RedisConnections } from './redis-connections';
import { guardSignalsDuringShutdown } from './shutdown-guard';

/** What a manager shuts down, in this order. */
export interface ShutdownParts {
  /** Awaited first, with signals already guarded (a start still in progress). */
  starting?: Promise<unknown>;
  scheduler?: Scheduler;
  buses: EventBus[];
  queues: TaskQueue[];
  dispatchers: Dispatcher[];
  redis: RedisConnections | null;
}

/**
 * Scheduler (stops firing), event buses (stop receiving, drain, flush the outbox), queues (stop
 * taking work, drain, put the rest back), dispatchers (deliver the results read within what is left
 * of the drain time, leave the rest pending), then the Redis connections. Signals are
 * guarded meanwhile. The steps together are bounded by the drain time plus 5 s, so an unreachable
 * Redis cannot hold shutdown forever: closing the connections fails the commands still waiting.
 */
export async function shutdownInOrder(parts: ShutdownParts, drainTimeoutMs: number, logger: QueueLogger): Promise<ShutdownReport> {
  const release = guardSignalsDuringShutdown(logger);
  const deadline = Date.now() + drainTimeoutMs;
  const left = () => Math.max(100, deadline - Date.now());
  const report: ShutdownReport = { unsentEvents: 0, unfinishedEvents: 0 };
  const step = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await within(fn(), Math.max(100, deadline + 5000 - Date.now()), what);
    } catch (error) {
      logger.error(`shutdown: ${what}: ${(error as Error).message}`);
    }
  };
  try {
    await parts.starting?.catch(() => undefined);
    await step('scheduler', async () => parts.scheduler?.close());
    await step('event buses', async () => {
      for (const r of await Promise.all(parts.buses.map((b) => b.close({ drainTimeoutMs: left() })))) {
        report.unsentEvents += r.unsent.length;
        report.unfinishedEvents += r.unfinished;
      }
    });
    if (report.unsentEvents > 0) logger.error(`${report.unsentEvents} events of the outbox could not be sent before shutdown`);
    await step('queues', () => Promise.all(parts.queues.map((q) => q.close({ drainTimeoutMs: left() }))));
    // what is left of the drain time: results not delivered by then stay pending for another instance
    await step('dispatchers', () => Promise.all(parts.dispatchers.map((d) => d.close({ drainTimeoutMs: left() }))));
    await step('redis', async () => parts.redis?.close());
    return report;
  } finally {
    release();
  }
}
