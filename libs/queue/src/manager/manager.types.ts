import type { QueueLogger } from '../logger';
import type { DispatchHandlerContext } from '../dispatcher/dispatcher';
import type { EventBusStats } from '../events/event-bus';
import type { LocalEventBusStats } from '../events/local/local-event-bus';
import type { QueueStats } from '../queue/queue.types';
import type { SchedulerStats } from '../scheduler/scheduler';
import { QueueError } from '../errors';

export interface QueueManagerOptions {
  /**
   * Root logger: the manager logs through `logger.child('QueueManager')`, each component through its
   * own child (`Queue:<name>`, `EventBus:...`, `Scheduler:...`, `Dispatcher:...`). Default: a
   * {@link ConsoleQueueLogger}; the Nest module passes a `NestQueueLogger` (Nest's logger).
   */
  logger?: QueueLogger;
  /** Environment used when `create` is given a raw (not yet validated) configuration (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** Options of a task handler registered through the manager (and `@OnTask`). */
export interface TaskHandlerOptions {
  /** Queue to consume (default `message_queue.queue_name`). */
  queue?: string;
  /** Handlers of this type running at once in this process (default: the queue's `workers`). */
  concurrency?: number;
  /** Per-attempt limit of the handler, enforced by the queue's run with the message's own `timeoutMs` (the smaller applies): past it the attempt fails with TaskTimeoutError and the signal fires (default: none beyond the message's). */
  timeoutMs?: number;
}

/**
 * A task handler: the payload, and the context (`attempt`, `signal`, `extendLease`, `progress`, `message`,
 * `taskId` and `origin`: the task id `<queue>:<messageId>` and, for tasks sent through the
 * dispatcher, the dispatching service; for messages published straight to the queue, this service).
 */
export type ManagedTaskHandler<P = unknown, R = unknown> = (payload: P, context: DispatchHandlerContext) => Promise<R> | R;

export interface ShutdownOptions {
  /** How long running handlers (tasks and events) may finish before they are aborted and their messages put back (default 10 000 ms). */
  drainTimeoutMs?: number;
}

export interface ShutdownReport {
  /** Events the outbox could not send before it closed (logged with their count; lost). */
  unsentEvents: number;
  /** Event handlers that had not finished at the drain timeout. */
  unfinishedEvents: number;
}

export type ManagerState = 'created' | 'starting' | 'running' | 'stopping' | 'stopped';

/** `stats()`: every component under the seed's names. Totals of a queue are cluster-wide; bus counters are this process's. */
export interface ManagerStats {
  service: string;
  state: ManagerState;
  /** Sum over the queues opened by this manager, and each of them under `queues`. */
  message_queue?: QueueStats & { queues: Record<string, QueueStats> };
  event_bus?: EventBusStats & { type: string };
  local_event_bus: LocalEventBusStats;
  task_scheduler?: SchedulerStats;
  task_dispatcher?: { routes: number; routing_enabled: boolean; callbacks_enabled: boolean; handled_types: number };
  redis?: { connections: Array<{ connection: string; status: string }> };
}

/** A component (or a feature of one) was turned off in the configuration (`<section>.enabled: false`, ...). */
export class ComponentDisabledError extends QueueError {
  constructor(
    readonly section: string,
    readonly key = 'enabled',
  ) {
    super(`${section} ${key === 'enabled' ? 'is' : `feature ${key} is`} disabled in the configuration (${section}.${key}: false)`, 'COMPONENT_DISABLED');
  }
}
