import { PayloadTooLargeError } from '../errors';
import type { TaskQueue } from '../queue/queue.types';
import { StoreBackedQueue } from '../queue/task-queue';
import type { ScheduledTask } from './scheduler';

/**
 * Refuses a recurring task whose payload is over its target queue's `maxPayloadBytes`, as the
 * publish of a one-off task is: else it is stored and every occurrence is skipped (logged only).
 * @throws PayloadTooLargeError
 */
export function checkPayloadFits(queue: TaskQueue, task: ScheduledTask): void {
  if (!(queue instanceof StoreBackedQueue)) return;
  const limit = queue.options.maxPayloadBytes;
  const size = Buffer.byteLength(JSON.stringify(task.payload ?? null));
  if (size > limit) throw new PayloadTooLargeError(size, limit, task.type);
}
