import type { TaskQueue } from '../queue/queue.types';
import { quietLogger, RedisServerHandle, spawnRedis, uniquePrefix } from '../testing';
import { memoryKit, redisKit, SchedulerKit, sleep, waitFor } from './testing/scheduler-test-kit';

/** Conformance: a loop busy with its own backlog is late, not down; the missed policy is for downtime. */
let server: RedisServerHandle;
beforeAll(async () => {
  server = await spawnRedis();
});
afterAll(async () => {
  await server?.cleanup();
});

const backends: Array<[string, () => SchedulerKit]> = [
  ['memory', () => memoryKit()],
  ['redis', () => redisKit(() => server.client(), uniquePrefix('sch-busy'))],
];

/** The queue, with a publish that takes `ms` longer (a loaded Redis or network). */
function slowPublish(queue: TaskQueue, ms: number): TaskQueue {
  return new Proxy(queue, {
    get(target, prop) {
      if (prop === 'publish') return async (...args: Parameters<TaskQueue['publish']>) => (await sleep(ms), target.publish(...args));
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe.each(backends)('Scheduler under a backlog (%s)', (_name, makeKit) => {
  let kit: SchedulerKit;
  beforeEach(() => {
    kit = makeKit();
  });
  afterEach(async () => {
    await kit.close();
  });

  it('runs every task of an occurrence shared by more tasks than it can publish within missedGraceMs (none is skipped as missed)', async () => {
    const queue = slowPublish(kit.queue(), 3);
    const scheduler = kit.scheduler({ queues: [queue], missedGraceMs: 100, autoStart: false, logger: quietLogger });
    // more than the loop reads per pass (100), 3 ms each: the second pass comes over 300 ms after the occurrence
    const tasks = 130;
    const second = (new Date().getUTCSeconds() + 5) % 60; // once a minute, a few seconds from now
    const keys = Array.from({ length: tasks }, (_, i) => i);
    await Promise.all(keys.map((i) => scheduler.schedule({ type: 'tenant_report', payload: { i } }, { cron: `${second} * * * * *`, key: `tenant-${i}` })));
    const occurrence = (await scheduler.list())[0].nextRunAt;
    expect((await scheduler.list()).every((s) => s.nextRunAt === occurrence)).toBe(true);
    scheduler.start();
    // generous: on a loaded machine (CI's three Jest workers on two cores) 130 fires with their cron
    // computations take many seconds; a rarer poll leaves the loop the Redis it needs
    await waitFor(async () => (await scheduler.list()).every((s) => s.nextRunAt > occurrence), 'every task to move past the occurrence', 60_000, 250);
    expect((await scheduler.stats()).total_tasks).toBe(tasks);
    expect((await kit.queue().stats()).total_published).toBe(tasks);
  }, 90_000);
});
