import type { TaskStatus } from '@meeting/queue';

/** A task status as the services answer it: `createdAt`, `nextAt`, `finishedAt` and `progressAt` as ISO 8601 times (the dispatcher keeps epoch milliseconds). */
export type TaskStatusView = Omit<TaskStatus, 'createdAt' | 'nextAt' | 'finishedAt' | 'progressAt'> & {
  createdAt?: string;
  nextAt?: string;
  finishedAt?: string;
  progressAt?: string;
};

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The status with ISO times. */
export function taskStatusView(status: TaskStatus): TaskStatusView {
  const view: TaskStatusView = {
    ...status,
    createdAt: iso(status.createdAt),
    nextAt: iso(status.nextAt),
    finishedAt: iso(status.finishedAt),
    progressAt: iso(status.progressAt),
  };
  if (view.progressAt === undefined) delete view.progressAt;
  return view;
}
