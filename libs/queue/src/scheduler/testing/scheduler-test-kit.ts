/** Helpers shared by the scheduler specs (not part of the public API). */
import type Redis from 'ioredis';
import { createQueue, QueueBackend } from '../../queue/create-queue';
import type { StoreBackedQueue } from '../../queue/task-queue';
import { createScheduler, CreateSchedulerOptions } from '../create-scheduler';
import { MemorySchedulerStore } from '../memory/memory-scheduler-store';
import type { MissedPolicy, ScheduledTask, Scheduler } from '../scheduler';

import { RedisServerHandle, spawnRedis, uniquePrefix } from '../../testing';

export { sleep, waitFor } from '../../testing/wait';

/**
 * The backends a scheduler conformance spec runs on: memory, and Redis on a throwaway server the
 * spec file starts before its tests and stops after them (call it at the top level of the spec).
 */
export function schedulerBackends(prefix: string): Array<[string, () => SchedulerKit]> {
  let server: RedisServerHandle | undefined;
  beforeAll(async () => {
    server = await spawnRedis();
  });
  afterAll(async () => {
    await server?.cleanup();
  });
  return [
    ['memory', () => memoryKit()],
    ['redis', () => redisKit(() => server!.client(), uniquePrefix(prefix))],
  ];
}

/** Builds queues and schedulers on one backend; `close()` closes everything it built. */
export interface SchedulerKit {
  queue(name?: string): StoreBackedQueue;
  scheduler(options?: Partial<CreateSchedulerOptions>): Scheduler;
  close(): Promise<void>;
}

export function memoryKit(): SchedulerKit {
  const store = new MemorySchedulerStore();
  // on memory a scheduler must be given its queues: the ones built so far
  return kit(
    () => ({ type: 'memory' }),
    (queues) => ({ backend: { type: 'memory', store }, queues }),
  );
}

/** Each scheduler and queue gets its own client, as separate processes would. */
export function redisKit(newClient: () => Redis, prefix: string): SchedulerKit {
  const clients: Redis[] = [];
  const client = () => {
    const c = newClient();
    clients.push(c);
    return c;
  };
  return kit(
    () => ({ type: 'redis', client: client(), prefix }),
    () => ({ backend: { type: 'redis', client: client(), prefix, queuePrefix: prefix } }),
    () => clients.splice(0).forEach((c) => c.disconnect()),
  );
}

/**
 * A kit on one backend: `queueBackend` for each new queue, `schedulerBackend` (given the queues
 * built so far) for each scheduler; `cleanup` runs once everything built is closed.
 */
function kit(
  queueBackend: () => QueueBackend,
  schedulerBackend: (queues: StoreBackedQueue[]) => Pick<CreateSchedulerOptions, 'backend' | 'queues'>,
  cleanup: () => void = () => undefined,
): SchedulerKit {
  const queues = new Map<string, StoreBackedQueue>();
  const schedulers: Scheduler[] = [];
  return {
    queue(name = 'jobs') {
      let q = queues.get(name);
      if (!q) {
        q = createQueue({ name, backend: queueBackend(), backoff: { baseMs: 20, jitter: 0 } });
        queues.set(name, q);
      }
      return q;
    },
    scheduler(options = {}) {
      const s = createScheduler({ ...schedulerBackend([...queues.values()]), defaultQueue: 'jobs', ...options });
      schedulers.push(s);
      return s;
    },
    async close() {
      await Promise.all(schedulers.splice(0).map((s) => s.close()));
      await Promise.all([...queues.values()].map((q) => q.close({ drainTimeoutMs: 100 })));
      queues.clear();
      cleanup();
    },
  };
}

/**
 * Schedules `count` cron tasks (`task(i)`, key `tenant-<i>`, missed policy `missed(i)`) due once a
 * minute at one second, a few seconds from now, and returns that occurrence; schedules them again
 * at a later second when scheduling took so long (a loaded machine) that the occurrence is not
 * still over 2 s away, or the minute turned meanwhile.
 */
export async function scheduleAllAtOneSecond(
  scheduler: Scheduler,
  count: number,
  task: (i: number) => ScheduledTask,
  missed: (i: number) => MissedPolicy | undefined = () => undefined,
): Promise<number> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const second = (new Date().getUTCSeconds() + 5 + attempt * 5) % 60;
    await Promise.all(
      Array.from({ length: count }, (_, i) => scheduler.schedule(task(i), { cron: `${second} * * * * *`, key: `tenant-${i}`, missed: missed(i) })),
    );
    const runs = (await scheduler.list()).map((s) => s.nextRunAt);
    if (runs.every((r) => r === runs[0]) && runs[0] - Date.now() > 2000) return runs[0];
  }
  throw new Error(`could not schedule ${count} tasks a few seconds ahead in 5 attempts`);
}
