import type { HandlerRun } from './handler-run';
import type { TaskHandler } from '../queue.types';

/** One registered task type of a worker: its handler, its slots and the runs waiting for one. */
export interface HandlerSlot {
  fn: TaskHandler;
  concurrency: number;
  /** The handler's own per-attempt limit (0: none). */
  timeoutMs: number;
  running: number;
  /** Delivered, not started: one FIFO per tier (index 0 = critical), started highest tier first. */
  waiting: [HandlerRun[], HandlerRun[], HandlerRun[], HandlerRun[]];
}
