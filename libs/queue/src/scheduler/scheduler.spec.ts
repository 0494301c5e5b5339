import { InvalidOptionError, QueueConfigError, TaskTimeoutError } from '../errors';
import { createScheduler } from './create-scheduler';
import { schedulerBackends, SchedulerKit, sleep, waitFor } from './testing/scheduler-test-kit';

/** Conformance suite: the same behaviour on every backend. */
const backends = schedulerBackends('sch');

describe.each(backends)('Scheduler conformance (%s)', (_name, makeKit) => {
  let kit: SchedulerKit;
  beforeEach(() => {
    kit = makeKit();
  });
  afterEach(async () => {
    await kit.close();
  });

  it('runs a delayed task once, not before its time, and lists it until then', async () => {
    const queue = kit.queue();
    const scheduler = kit.scheduler();
    const runs: Array<{ at: number; payload: unknown }> = [];
    scheduler.process('report', (m) => void runs.push({ at: Date.now(), payload: m.payload }));
    const dueAt = Date.now() + 1000; // room for the schedule and list calls before it fires, even on a busy machine
    const id = await scheduler.schedule({ type: 'report', payload: { n: 1 }, priority: 'high' }, { at: new Date(dueAt) });
    expect(id).toMatch(/^once:jobs:/);
    const listed = await scheduler.list();
    expect(listed).toEqual([expect.objectContaining({ id, kind: 'once', task: expect.objectContaining({ type: 'report', queue: 'jobs' }) })]);
    // the queue's own due time: the requested one plus the publish's transit (a few ms)
    expect(listed[0].nextRunAt).toBeGreaterThanOrEqual(dueAt);
    expect(listed[0].nextRunAt).toBeLessThan(dueAt + 500);
    await waitFor(() => runs.length === 1, 'the delayed task');
    expect(runs[0].at).toBeGreaterThanOrEqual(dueAt - 5);
    expect(runs[0].payload).toEqual({ n: 1 });
    await waitFor(async () => (await scheduler.stats()).completed_tasks === 1, 'completed count');
    const stats = await scheduler.stats();
    expect(stats).toMatchObject({ total_tasks: 1, completed_tasks: 1, failed_tasks: 0, active_tasks: 0, scheduled_once: 0 });
    expect(await scheduler.list()).toEqual([]);
    await waitFor(async () => (await queue.getStatus(id.split(':')[2]))?.state === 'completed', 'the queue to record the completion');
  });

  it('cancel before firing removes the task; cancel after firing answers false', async () => {
    kit.queue();
    const scheduler = kit.scheduler();
    const runs: string[] = [];
    scheduler.process('ping', (m) => void runs.push(m.id));
    const early = await scheduler.schedule({ type: 'ping' }, { delayMs: 1000 }); // cancelled long before it is due, even on a busy machine
    const earlyDueAt = Date.now() + 1000;
    const late = await scheduler.schedule({ type: 'ping' }, { delayMs: 50 });
    expect(await scheduler.cancel(early)).toBe(true);
    expect(await scheduler.cancel(early)).toBe(false);
    await waitFor(() => runs.length === 1, 'the uncancelled task');
    expect(await scheduler.cancel(late)).toBe(false);
    await sleep(Math.max(0, earlyDueAt + 300 - Date.now())); // past the cancelled task's time: it must not run
    expect(runs).toEqual([late.split(':')[2]]);
    await expect(scheduler.cancel('nonsense')).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it('fires a recurring task on its interval, updates it by key and stops when removed', async () => {
    kit.queue();
    const scheduler = kit.scheduler();
    const payloads: unknown[] = [];
    scheduler.process('tick', (m) => void payloads.push(m.payload));
    const id = await scheduler.schedule({ type: 'tick', payload: 'v1' }, { everyMs: 100, key: 'ticker' });
    expect(id).toBe('recurring:ticker');
    await waitFor(() => payloads.length >= 3, 'three ticks');
    const [info] = await scheduler.list();
    expect(info).toMatchObject({ id, kind: 'recurring', key: 'ticker', when: { everyMs: 100 }, missed: 'skip' });
    await scheduler.schedule({ type: 'tick', payload: 'v2' }, { everyMs: 100, key: 'ticker' });
    const [updated] = await scheduler.list();
    expect(updated.createdAt).toBe(info.createdAt);
    expect(updated.updatedAt!).toBeGreaterThanOrEqual(info.createdAt);
    expect(updated.task.payload).toBe('v2');
    const before = payloads.length;
    await waitFor(() => payloads.slice(before).includes('v2'), 'an updated tick');
    expect(await scheduler.list()).toHaveLength(1);
    expect(await scheduler.removeRecurring('ticker')).toBe(true);
    await sleep(150);
    const after = payloads.length;
    await sleep(300);
    expect(payloads.length).toBe(after);
    expect(await scheduler.cancel(id)).toBe(false);
    expect(await scheduler.list()).toEqual([]);
  });

  it.each(['skip', 'run_once'] as const)('applies the missed-occurrence policy %s after a downtime', async (policy) => {
    kit.queue();
    const first = kit.scheduler({ missedGraceMs: 200 });
    await first.schedule({ type: 'beat' }, { everyMs: 1000, key: `beat-${policy}`, missed: policy });
    await first.close();
    await sleep(2300); // two occurrences pass with no scheduler running
    const runs: number[] = [];
    const second = kit.scheduler({ missedGraceMs: 200 });
    second.process('beat', () => void runs.push(Date.now()));
    const restartedAt = Date.now();
    await waitFor(async () => (await second.list())[0].nextRunAt > restartedAt, 'the next run to move past the downtime');
    const next = (await second.list())[0].nextRunAt;
    await waitFor(() => runs.some((at) => at >= next - 5), 'the next regular occurrence');
    // before the first regular occurrence: one catch-up run (run_once) or none (skip), not one per missed occurrence
    expect(runs.filter((at) => at < next - 5)).toHaveLength(policy === 'run_once' ? 1 : 0);
    expect((await second.stats()).total_tasks).toBe(policy === 'run_once' ? 2 : 1);
  });

  it('fires the AbortSignal of a task past its timeout and retries it', async () => {
    kit.queue();
    const scheduler = kit.scheduler();
    const reasons: unknown[] = [];
    const attempts: number[] = [];
    scheduler.process('slow', async (m, ctx) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt === 1) {
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
        reasons.push(ctx.signal.reason);
        return 'too late';
      }
      return 'done';
    });
    const id = await scheduler.schedule({ type: 'slow', timeoutMs: 100, maxRetries: 2 }, { delayMs: 10 });
    const queue = kit.queue();
    const messageId = id.split(':')[2];
    await waitFor(async () => (await queue.getStatus(messageId))?.state === 'completed', 'completion after a retry');
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(TaskTimeoutError);
    expect(attempts).toEqual([1, 2]);
    expect(await queue.getStatus(messageId)).toMatchObject({ result: 'done', attempts: 2 });
    await waitFor(async () => (await scheduler.stats()).completed_tasks === 1, 'stats');
    expect(await scheduler.stats()).toMatchObject({ failed_tasks: 1, completed_tasks: 1, active_tasks: 0 });
  });

  it('counts a running handler as active until it ends', async () => {
    kit.queue();
    const scheduler = kit.scheduler();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    scheduler.process('hold', () => held);
    await scheduler.schedule({ type: 'hold' }, { delayMs: 0 });
    await waitFor(async () => (await scheduler.stats()).active_tasks === 1, 'an active task');
    release();
    await waitFor(async () => (await scheduler.stats()).completed_tasks === 1, 'completion');
    expect(await scheduler.stats()).toMatchObject({ active_tasks: 0, total_tasks: 1 });
  });

  it('fires a cron task (with a time zone) on its second', async () => {
    kit.queue();
    const scheduler = kit.scheduler();
    const runs: number[] = [];
    scheduler.process('cron', () => void runs.push(Date.now()));
    await scheduler.schedule({ type: 'cron' }, { cron: '* * * * * *', tz: 'Europe/Berlin', key: 'every-second' });
    const [info] = await scheduler.list();
    expect(info.nextRunAt % 1000).toBe(0);
    await waitFor(() => runs.length >= 2, 'two cron runs');
    expect(runs[0]).toBeGreaterThanOrEqual(info.nextRunAt - 5);
  });

  it('rejects bad input with typed errors naming the option', async () => {
    kit.queue();
    const scheduler = kit.scheduler();
    const path = async (p: Promise<unknown>) =>
      (
        (await p.then(
          () => null,
          (e: unknown) => e,
        )) as InvalidOptionError | null
      )?.path;
    expect(await path(scheduler.schedule({ type: 'x' }, { cron: 'not a cron' }))).toBe('schedule.when.cron');
    expect(await path(scheduler.schedule({ type: 'x' }, { cron: '* * * * *', tz: 'Mars/Olympus' }))).toBe('schedule.when.tz');
    expect(await path(scheduler.schedule({ type: 'x' }, { everyMs: 1 }))).toBe('schedule.when.everyMs');
    expect(await path(scheduler.schedule({ type: 'x' }, { delayMs: 1, everyMs: 100 } as never))).toBe('schedule.when');
    expect(await path(scheduler.schedule({ type: 'bad type' }, { delayMs: 1 }))).toBe('schedule.task.type');
    expect(await path(scheduler.schedule({ type: 'x', priority: 'urgent' as never }, { delayMs: 1 }))).toBe('schedule.task.priority');
    expect(await path(scheduler.schedule({ type: 'x' }, { everyMs: 100, missed: 'later' as never }))).toBe('schedule.when.missed');
    // beyond what a publish takes: refused now, not skipped at every occurrence
    expect(await path(scheduler.schedule({ type: 'x', maxRetries: 5000 }, { everyMs: 100 }))).toBe('schedule.task.maxRetries');
    expect(await path(scheduler.schedule({ type: 'x', timeoutMs: 2 ** 31 }, { delayMs: 1 }))).toBe('schedule.task.timeoutMs');
    expect(await scheduler.list()).toEqual([]);
    expect(() => kit.scheduler({ missedGraceMs: -1 })).toThrow(QueueConfigError);
    expect(() => kit.scheduler({ maxIdleMs: 2 ** 31 })).toThrow('scheduler.maxIdleMs: expected an integer in [10, 2147483647], got 2147483648');
    const withBackend = (backend: unknown) => () => createScheduler({ backend } as Parameters<typeof createScheduler>[0]);
    expect(withBackend({ type: 'redis' })).toThrow('scheduler.backend.client: expected an ioredis client (createRedisClient), got nothing');
    expect(withBackend({ type: 'redis', client: {} })).toThrow(/scheduler\.backend\.client: expected an ioredis client/);
  });

  it('refuses a payload JSON would change when schedule is called (once or recurring), naming the place; nothing is scheduled or published', async () => {
    const queue = kit.queue();
    const scheduler = kit.scheduler();
    const refusal = (p: Promise<unknown>) =>
      p.then(
        () => null,
        (e: unknown) => e,
      );
    const error = await refusal(scheduler.schedule({ type: 'x', payload: { stats: { avg: NaN } } }, { delayMs: 1 }));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ path: 'schedule.task.payload.stats.avg', expected: 'a finite number (JSON writes NaN as null)' });
    expect(await refusal(scheduler.schedule({ type: 'x', payload: { ids: new Set([1]) } }, { everyMs: 100 }))).toMatchObject({
      path: 'schedule.task.payload.ids',
      expected: 'a plain object or array (JSON writes a Set as {})',
    });
    expect(await refusal(scheduler.schedule({ type: 'x', payload: [1, Infinity] }, { cron: '* * * * *' }))).toMatchObject({
      path: 'schedule.task.payload[1]',
    });
    // a BigInt: was refused as publish.payload by the queue (once), or a plain TypeError from storing the definition (recurring)
    expect(await refusal(scheduler.schedule({ type: 'x', payload: { n: 1n } }, { delayMs: 1 }))).toMatchObject({ path: 'schedule.task.payload.n' });
    expect(await refusal(scheduler.schedule({ type: 'x', payload: { n: 1n } }, { everyMs: 100 }))).toMatchObject({ path: 'schedule.task.payload.n' });
    expect(await scheduler.list()).toEqual([]);
    expect((await queue.stats()).total_published).toBe(0);
  });
});

describe('createScheduler', () => {
  it('names the bad option', () => {
    expect(() => createScheduler({ backend: { type: 'nope' } as never })).toThrow(/scheduler\.backend\.type/);
    expect(() => createScheduler({ backend: { type: 'memory' }, name: 'bad name' })).toThrow(/scheduler\.name/);
    expect(() => createScheduler({ backend: { type: 'memory' }, missedPolicy: 'x' as never })).toThrow(/scheduler\.missedPolicy/);
  });
});
