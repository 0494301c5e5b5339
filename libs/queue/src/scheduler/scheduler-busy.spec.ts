import type { TaskQueue } from '../queue/queue.types';
import { quietLogger } from '../testing';
import { schedulerBackends, scheduleAllAtOneSecond, SchedulerKit, sleep, waitFor } from './testing/scheduler-test-kit';

/** Conformance: a loop busy with its own backlog is late, not down; the missed policy is for downtime. */
const backends = schedulerBackends('sch-busy');

/** The queue, with a publish that takes `ms` longer per message (a loaded Redis or network). */
function slowPublish(queue: TaskQueue, ms: number): TaskQueue {
  return new Proxy(queue, {
    get(target, prop) {
      if (prop === 'publish') return async (...args: Parameters<TaskQueue['publish']>) => (await sleep(ms), target.publish(...args));
      if (prop === 'publishBatch')
        return async (messages: Parameters<TaskQueue['publishBatch']>[0]) => (await sleep(ms * messages.length), target.publishBatch(messages));
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
    // a 4 s grace, so that the first pass is not missed even when a loaded machine (CI's three Jest
    // workers on two cores) wakes the loop late: once the default 1 s was not enough; 50 ms per
    // message published: the first pass of 100 takes over 5 s, so the second comes past the grace
    const queue = slowPublish(kit.queue(), 50);
    const scheduler = kit.scheduler({ queues: [queue], missedGraceMs: 4000, autoStart: false, logger: quietLogger });
    const tasks = 130; // more than the loop reads per pass (100)
    const occurrence = await scheduleAllAtOneSecond(scheduler, tasks, (i) => ({ type: 'tenant_report', payload: { i } }));
    scheduler.start();
    // generous: on a loaded machine (CI's three Jest workers on two cores) 130 fires take many seconds
    await waitFor(async () => (await scheduler.list()).every((s) => s.nextRunAt > occurrence), 'every task to move past the occurrence', 60_000, 250);
    expect((await scheduler.stats()).total_tasks).toBe(tasks);
    expect((await kit.queue().stats()).total_published).toBe(tasks);
  }, 90_000);
});
