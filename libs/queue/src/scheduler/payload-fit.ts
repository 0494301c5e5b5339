import { checkPayloadSize } from '../queue/publish-validation';
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
  checkPayloadSize(JSON.stringify(task.payload ?? null), queue.options.maxPayloadBytes, task.type);
}
