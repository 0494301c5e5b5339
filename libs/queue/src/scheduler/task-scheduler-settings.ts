import type { QueueLogger } from '../logger';
import type { TaskQueue } from '../queue/queue.types';
import type { MissedPolicy } from './scheduler';

/** Settings of {@link TaskScheduler}, already validated by `createScheduler`. */
export interface TaskSchedulerSettings {
  name: string;
  defaultQueue?: string;
  missedPolicy: MissedPolicy;
  missedGraceMs: number;
  maxIdleMs: number;
  activeTtlMs: number;
  /** Finds (or opens) the queue of a name; throws InvalidOptionError at `path` (the argument of the call) for an unknown one. */
  resolveQueue(name: string, path: string): TaskQueue;
  /** Closes the queues the scheduler opened itself. */
  closeOwnedQueues(): Promise<void>;
  /** Called once before the loop first waits (Redis: subscribe to changes). */
  beforeLoop?(): Promise<void>;
  /** Default: a console logger. */
  logger?: QueueLogger;
}
