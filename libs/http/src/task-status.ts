import type { TaskStatus } from '@meeting/queue';

/** A task status as the services answer it: `createdAt`, `nextAt` and `finishedAt` as ISO 8601 times (the dispatcher keeps epoch milliseconds). */
export type TaskStatusView = Omit<TaskStatus, 'createdAt' | 'nextAt' | 'finishedAt'> & { createdAt?: string; nextAt?: string; finishedAt?: string };

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The status with ISO times. */
export function taskStatusView(status: TaskStatus): TaskStatusView {
  return { ...status, createdAt: iso(status.createdAt), nextAt: iso(status.nextAt), finishedAt: iso(status.finishedAt) };
}
