// Public API of the scheduler concept: delayed and recurring tasks (docs/scheduler.md).
export * from './scheduler';
export { createScheduler } from './create-scheduler';
export type { CreateSchedulerOptions, SchedulerBackend } from './create-scheduler';
export { TaskScheduler } from './task-scheduler';
export type { TaskSchedulerSettings } from './task-scheduler';
export { MemorySchedulerStore } from './memory/memory-scheduler-store';
export { RedisSchedulerStore, SchedulerKeys, schedulerCommands } from './redis/redis-scheduler-store';
export type { SchedulerStore } from './scheduler-store';
export { nextOccurrence } from './schedule-spec';
