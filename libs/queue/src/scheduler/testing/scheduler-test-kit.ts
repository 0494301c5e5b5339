/** Helpers shared by the scheduler specs (not part of the public API). */
import type Redis from 'ioredis';
import { createQueue } from '../../queue/create-queue';
import type { StoreBackedQueue } from '../../queue/task-queue';
import { createScheduler, CreateSchedulerOptions } from '../create-scheduler';
import { MemorySchedulerStore } from '../memory/memory-scheduler-store';
import type { Scheduler } from '../scheduler';

export { sleep, waitFor } from '../../testing/wait';

/** Builds queues and schedulers on one backend; `close()` closes everything it built. */
export interface SchedulerKit {
  queue(name?: string): StoreBackedQueue;
  scheduler(options?: Partial<CreateSchedulerOptions>): Scheduler;
  close(): Promise<void>;
}

export function memoryKit(): SchedulerKit {
  const store = new MemorySchedulerStore();
  const queues = new Map<string, StoreBackedQueue>();
  const schedulers: Scheduler[] = [];
  return {
    queue(name = 'jobs') {
      let q = queues.get(name);
      if (!q) {
        q = createQueue({ name, backend: { type: 'memory' }, backoff: { baseMs: 20, jitter: 0 } });
        queues.set(name, q);
      }
      return q;
    },
    scheduler(options = {}) {
      const s = createScheduler({ backend: { type: 'memory', store }, queues: [...queues.values()], defaultQueue: 'jobs', ...options });
      schedulers.push(s);
      return s;
    },
    async close() {
      await Promise.all(schedulers.map((s) => s.close()));
      await Promise.all([...queues.values()].map((q) => q.close({ drainTimeoutMs: 100 })));
    },
  };
}

/** Each scheduler and queue gets its own client, as separate processes would. */
export function redisKit(newClient: () => Redis, prefix: string): SchedulerKit {
  const clients: Redis[] = [];
  const client = () => {
    const c = newClient();
    clients.push(c);
    return c;
  };
  const queues = new Map<string, StoreBackedQueue>();
  const schedulers: Scheduler[] = [];
  return {
    queue(name = 'jobs') {
      let q = queues.get(name);
      if (!q) {
        q = createQueue({ name, backend: { type: 'redis', client: client(), prefix }, backoff: { baseMs: 20, jitter: 0 } });
        queues.set(name, q);
      }
      return q;
    },
    scheduler(options = {}) {
      const s = createScheduler({ backend: { type: 'redis', client: client(), prefix, queuePrefix: prefix }, defaultQueue: 'jobs', ...options });
      schedulers.push(s);
      return s;
    },
    async close() {
      await Promise.all(schedulers.splice(0).map((s) => s.close()));
      await Promise.all([...queues.values()].map((q) => q.close({ drainTimeoutMs: 100 })));
      queues.clear();
      clients.splice(0).forEach((c) => c.disconnect());
    },
  };
}
