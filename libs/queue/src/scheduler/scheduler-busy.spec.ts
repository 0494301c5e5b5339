import type { TaskQueue } from '../queue/queue.types';
import { quietLogger, RedisServerHandle, spawnRedis, uniquePrefix } from '../testing';
import { memoryKit, redisKit, SchedulerKit, sleep, waitFor } from './testing/scheduler-test-kit';
import type { Scheduler } from './scheduler';

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
    // the default grace (1 s: a first pass that a loaded machine wakes late is not "missed"); 15 ms
    // per publish: the first pass of 100 takes over 1.5 s, so the second comes past the grace
    const queue = slowPublish(kit.queue(), 15);
    const scheduler = kit.scheduler({ queues: [queue], missedGraceMs: 1000, autoStart: false, logger: quietLogger });
    const tasks = 130; // more than the loop reads per pass (100)
    const occurrence = await scheduleAllAtOneSecond(scheduler, tasks);
    scheduler.start();
    // generous: on a loaded machine (CI's three Jest workers on two cores) 130 fires take many seconds
    await waitFor(async () => (await scheduler.list()).every((s) => s.nextRunAt > occurrence), 'every task to move past the occurrence', 60_000, 250);
    expect((await scheduler.stats()).total_tasks).toBe(tasks);
    expect((await kit.queue().stats()).total_published).toBe(tasks);
  }, 90_000);
});

/**
 * Schedules `count` cron tasks due once a minute at one second, a few seconds from now, and returns
 * that occurrence; schedules them again at a later second when scheduling took so long (a loaded
 * machine) that the occurrence is not still over 2 s away, or the minute turned meanwhile.
 */
async function scheduleAllAtOneSecond(scheduler: Scheduler, count: number): Promise<number> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const second = (new Date().getUTCSeconds() + 5 + attempt * 5) % 60;
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        scheduler.schedule({ type: 'tenant_report', payload: { i } }, { cron: `${second} * * * * *`, key: `tenant-${i}` }),
      ),
    );
    const runs = (await scheduler.list()).map((s) => s.nextRunAt);
    if (runs.every((r) => r === runs[0]) && runs[0] - Date.now() > 2000) return runs[0];
  }
  throw new Error(`could not schedule ${count} tasks a few seconds ahead in 5 attempts`);
}
