import { PayloadTooLargeError } from '../errors';
import type { QueueLogger } from '../logger';
import type { PublishOptions, TaskQueue } from '../queue/queue.types';
import { quietLogger } from '../testing';
import type { Scheduler } from './scheduler';
import { schedulerBackends, scheduleAllAtOneSecond, SchedulerKit, waitFor } from './testing/scheduler-test-kit';

/** Conformance: a loop pass fires its due occurrences in batches, with every guarantee of firing them one by one. */
const backends = schedulerBackends('sch-batch');

/** The publish calls a queue received (sizes of its batches; single publishes). */
interface PublishCalls {
  batches: number[];
  singles: number;
}

/**
 * The queue, recording its publish calls; `fault` may throw instead of publishing (the messages of
 * the call given): an injected Redis failure or refusal.
 */
function watched(queue: TaskQueue, calls: PublishCalls, fault: (messages: PublishOptions[]) => void = () => undefined): TaskQueue {
  return new Proxy(queue, {
    get(target, prop) {
      if (prop === 'publish')
        return async (options: PublishOptions) => {
          calls.singles++;
          fault([options]);
          return target.publish(options);
        };
      if (prop === 'publishBatch')
        return async (messages: PublishOptions[]) => {
          calls.batches.push(messages.length);
          fault(messages);
          return target.publishBatch(messages);
        };
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A logger keeping its error lines. */
function errorLines(): { logger: QueueLogger; errors: string[] } {
  const errors: string[] = [];
  const logger: QueueLogger = { ...quietLogger, error: (line: string) => void errors.push(line), child: () => logger };
  return { logger, errors };
}

/** Waits until every recurring task's next run is past `occurrence` (each was handled). */
async function allHandled(scheduler: Scheduler, occurrence: number): Promise<void> {
  await waitFor(async () => (await scheduler.list()).every((s) => s.nextRunAt > occurrence), 'every task to move past the occurrence', 60_000, 100);
}

describe.each(backends)('Scheduler firing in batches (%s)', (_name, makeKit) => {
  let kit: SchedulerKit;
  beforeEach(() => {
    kit = makeKit();
  });
  afterEach(async () => {
    await kit.close();
  });

  it('publishes the occurrences due at one second with one publishBatch per queue per pass, each once across two replicas', async () => {
    const jobs: PublishCalls = { batches: [], singles: 0 };
    const other: PublishCalls = { batches: [], singles: 0 };
    const queues = [watched(kit.queue('jobs'), jobs), watched(kit.queue('other'), other)];
    const replicas = [0, 1].map(() => kit.scheduler({ queues, autoStart: false, missedGraceMs: 60_000, logger: quietLogger }));
    const tasks = 150; // two passes of a replica (it reads 100 per pass)
    const occurrence = await scheduleAllAtOneSecond(replicas[0], tasks, (i) => ({ type: 'report', queue: i % 2 ? 'other' : 'jobs', payload: { i } }));
    replicas.forEach((r) => r.start());
    await allHandled(replicas[0], occurrence);
    expect({ jobs: jobs.singles, other: other.singles }).toEqual({ jobs: 0, other: 0 });
    // a replica's pass publishes once to each queue, and it needs two passes for 150 tasks
    expect(jobs.batches.length).toBeLessThanOrEqual(4);
    expect(other.batches.length).toBeLessThanOrEqual(4);
    expect((await replicas[0].stats()).total_tasks).toBe(tasks);
    expect((await kit.queue('jobs').stats()).total_published).toBe(tasks / 2);
    expect((await kit.queue('other').stats()).total_published).toBe(tasks / 2);
  }, 90_000);

  it('a pass whose publish to one queue fails records the others, then publishes the failed ones again: each runs once', async () => {
    const jobs: PublishCalls = { batches: [], singles: 0 };
    const other: PublishCalls = { batches: [], singles: 0 };
    let failed = false;
    const failOnce = () => {
      if (failed) return;
      failed = true;
      throw new Error('connection lost (injected)');
    };
    const queues = [watched(kit.queue('jobs'), jobs), watched(kit.queue('other'), other, failOnce)];
    const scheduler = kit.scheduler({ queues, autoStart: false, missedGraceMs: 60_000, logger: quietLogger });
    const tasks = 60;
    const occurrence = await scheduleAllAtOneSecond(scheduler, tasks, (i) => ({ type: 'report', queue: i % 2 ? 'other' : 'jobs', payload: { i } }));
    scheduler.start();
    await allHandled(scheduler, occurrence);
    expect(failed).toBe(true); // the fault was met, and the loop tried again
    expect((await scheduler.stats()).total_tasks).toBe(tasks);
    expect((await kit.queue('jobs').stats()).total_published).toBe(tasks / 2);
    expect((await kit.queue('other').stats()).total_published).toBe(tasks / 2);
  }, 90_000);

  it('a task its queue refuses is skipped alone: the others of its queue and pass run', async () => {
    const jobs: PublishCalls = { batches: [], singles: 0 };
    const refuse = (messages: PublishOptions[]) => {
      if (messages.some((m) => (m.payload as { i: number }).i === 7)) throw new PayloadTooLargeError(2_000_000, 1_000_000, 'report');
    };
    const { logger, errors } = errorLines();
    const scheduler = kit.scheduler({ queues: [watched(kit.queue('jobs'), jobs, refuse)], autoStart: false, missedGraceMs: 60_000, logger });
    const tasks = 40;
    const occurrence = await scheduleAllAtOneSecond(scheduler, tasks, (i) => ({ type: 'report', payload: { i } }));
    scheduler.start();
    await allHandled(scheduler, occurrence);
    expect((await scheduler.stats()).total_tasks).toBe(tasks - 1);
    expect((await kit.queue('jobs').stats()).total_published).toBe(tasks - 1);
    expect(errors).toEqual([expect.stringMatching(/^recurring task "tenant-7": occurrence .* skipped: payload of task type "report"/)]);
  }, 90_000);

  it('applies the missed policy of each task of a pass: skip publishes nothing, run_once publishes one run', async () => {
    const scheduler = kit.scheduler({ queues: [kit.queue('jobs')], autoStart: false, missedGraceMs: 100, logger: quietLogger });
    const tasks = 40;
    const occurrence = await scheduleAllAtOneSecond(
      scheduler,
      tasks,
      (i) => ({ type: 'report', payload: { i } }),
      (i) => (i % 2 ? 'run_once' : 'skip'),
    );
    await waitFor(() => Date.now() > occurrence + 500, 'the occurrence to be missed (no scheduler running)', 10_000);
    scheduler.start();
    await allHandled(scheduler, occurrence);
    expect((await scheduler.stats()).total_tasks).toBe(tasks / 2);
    expect((await kit.queue('jobs').stats()).total_published).toBe(tasks / 2);
  }, 90_000);
});
