/**
 * The scheduler refuses what it would drop or misread (a misspelt key of the task or of `when`, a
 * key of another `when` form, a task option it does not support) with InvalidOptionError naming it;
 * a refused schedule stores nothing. Its other calls name themselves in their errors.
 */
import { PayloadTooLargeError } from '../errors';
import { createQueue } from '../queue/create-queue';
import type { MissedPolicy, ScheduledTask, Scheduler, ScheduleWhen } from './scheduler';
import { memoryKit, SchedulerKit } from './testing/scheduler-test-kit';

const refusal = (path: string) => expect.objectContaining({ code: 'INVALID_OPTION', path });

describe('Scheduler bad input (memory)', () => {
  let kit: SchedulerKit;
  let scheduler: Scheduler;
  beforeEach(() => {
    kit = memoryKit();
    kit.queue();
    scheduler = kit.scheduler();
  });
  afterEach(async () => {
    await kit.close();
  });

  /** Nothing was stored: no schedule listed, no message published to the target queue. */
  const expectNothingStored = async () => {
    expect(await scheduler.list()).toEqual([]);
    expect((await kit.queue().stats()).total_published).toBe(0);
  };

  it.each([
    ['timezone of a cron', { cron: '0 9 * * *', timezone: 'Europe/Berlin' }, 'schedule.when.timezone'],
    ['a misspelt missed', { everyMs: 60_000, mised: 'run_once' }, 'schedule.when.mised'],
    ['tz of an interval', { everyMs: 60_000, tz: 'Europe/Berlin' }, 'schedule.when.tz'],
    ['key of a delay', { delayMs: 1000, key: 'daily' }, 'schedule.when.key'],
    ['tz of a delay', { delayMs: 1000, tz: 'Europe/Berlin' }, 'schedule.when.tz'],
    ['missed of a date', { at: Date.now() + 60_000, missed: 'skip' }, 'schedule.when.missed'],
  ])('refuses %s at schedule.when.<key> and stores nothing', async (_what, when, path) => {
    const key = path.slice('schedule.when.'.length);
    await expect(scheduler.schedule({ type: 't' }, when as ScheduleWhen)).rejects.toMatchObject({ code: 'INVALID_OPTION', path, found: key });
    await expectNothingStored();
  });

  it('says which keys the form takes, and that key, missed and tz are for recurring forms', async () => {
    await expect(scheduler.schedule({ type: 't' }, { cron: '0 9 * * *', timezone: 'Europe/Berlin' } as ScheduleWhen)).rejects.toThrow(
      'schedule.when.timezone: expected a known option of { cron } (cron, tz, key, missed), got "timezone"',
    );
    await expect(scheduler.schedule({ type: 't' }, { delayMs: 1000, key: 'daily' } as ScheduleWhen)).rejects.toThrow(
      /schedule\.when\.key: expected a known option of \{ delayMs \} \(delayMs\); key, missed and tz are for the recurring forms/,
    );
  });

  it.each([
    [
      'a misspelt priority',
      { type: 't', priorty: 'critical' },
      'schedule.task.priorty',
      /known option \(type, payload, queue, priority, maxRetries, timeoutMs\)/,
    ],
    ['a group', { type: 't', group: 'meeting-1' }, 'schedule.task.group', /no group: the scheduler publishes its tasks without a fair-sharing group/],
    [
      'an idempotency key',
      { type: 't', idempotencyKey: 'k' },
      'schedule.task.idempotencyKey',
      /no idempotencyKey: the scheduler keys each recurring occurrence itself/,
    ],
    ['a delayMs', { type: 't', delayMs: 5 }, 'schedule.task.delayMs', /give the delay as when/],
  ])('refuses %s of the task at schedule.task.<key>, saying why, and stores nothing', async (_what, task, path, message) => {
    for (const when of [{ delayMs: 1000 }, { everyMs: 60_000, key: 'k' }, { cron: '0 9 * * *', tz: 'Europe/Berlin', key: 'c' }] as ScheduleWhen[]) {
      const scheduled = scheduler.schedule(task as ScheduledTask, when);
      await expect(scheduled).rejects.toMatchObject(refusal(path));
      await expect(scheduled).rejects.toThrow(message);
    }
    await expectNothingStored();
  });

  it.each([
    ['an empty cron (cron-parser reads it as every minute)', '', 0],
    ['a cron of 3 fields', '* * *', 3],
    ['a cron missing a field', '0 9 * *', 4],
  ])('refuses %s at schedule.when.cron, saying it takes 5 or 6 fields, and stores nothing', async (_what, cron, fields) => {
    const scheduled = scheduler.schedule({ type: 't' }, { cron, key: 'c' });
    await expect(scheduled).rejects.toMatchObject(refusal('schedule.when.cron'));
    await expect(scheduled).rejects.toThrow(
      `expected a cron expression of 5 or 6 fields (seconds first when 6) or an @-alias such as @daily; it has ${fields}`,
    );
    await expectNothingStored();
  });

  it("refuses a recurring task whose payload is over its queue's maxPayloadBytes, as a one-off's publish does, and stores nothing", async () => {
    const small = createQueue({ name: 'small', backend: { type: 'memory' }, maxPayloadBytes: 100 });
    const onSmall = kit.scheduler({ queues: [kit.queue(), small], defaultQueue: 'small' });
    const payload = { text: 'x'.repeat(200) };
    try {
      for (const when of [{ delayMs: 1000 }, { everyMs: 60_000, key: 'big' }, { cron: '0 9 * * *', key: 'big' }] as ScheduleWhen[]) {
        await expect(onSmall.schedule({ type: 'digest', payload }, when)).rejects.toThrow(new PayloadTooLargeError(211, 100, 'digest'));
      }
      expect(await onSmall.list()).toEqual([]);
      expect((await small.stats()).total_published).toBe(0);
      await onSmall.schedule({ type: 'digest', payload: { text: 'x' } }, { everyMs: 60_000, key: 'fits' });
    } finally {
      await small.close();
    }
  });

  it('stores the accepted forms as given: the cron time zone and the missed policy', async () => {
    await scheduler.schedule({ type: 't' }, { cron: '0 9 * * *', tz: 'Europe/Berlin', key: 'berlin' });
    await scheduler.schedule({ type: 't' }, { everyMs: 60_000, missed: 'run_once' as MissedPolicy, key: 'every' });
    const listed = await scheduler.list();
    expect(listed.find((s) => s.key === 'berlin')).toMatchObject({ when: { cron: '0 9 * * *', tz: 'Europe/Berlin' } });
    expect(listed.find((s) => s.key === 'every')).toMatchObject({ missed: 'run_once' });
  });

  it('removeRecurring refuses a key that is not a recurring key, and removes nothing', async () => {
    await scheduler.schedule({ type: 't' }, { everyMs: 60_000, key: 'undefined' });
    for (const key of [undefined, 42, '', 'a b|c', null]) {
      await expect(scheduler.removeRecurring(key as unknown as string)).rejects.toMatchObject(refusal('removeRecurring.key'));
    }
    expect((await scheduler.list()).map((s) => s.id)).toEqual(['recurring:undefined']);
    expect(await scheduler.removeRecurring('undefined')).toBe(true);
    expect(await scheduler.removeRecurring('undefined')).toBe(false);
  });

  it('cancel refuses an id schedule could not have returned, naming cancel.id', async () => {
    for (const id of ['recurring:a b|c', 'recurring:', 'once:no such:abc', 'once:other:abc', 'nothing', 42]) {
      await expect(scheduler.cancel(id as string)).rejects.toMatchObject(refusal('cancel.id'));
    }
    expect(await scheduler.cancel('recurring:never-scheduled')).toBe(false);
  });

  it('queue and process name themselves: queue.name, process.queue, process.options', () => {
    expect(() => scheduler.queue(42 as unknown as string)).toThrow(refusal('queue.name'));
    expect(() => scheduler.queue('other')).toThrow(refusal('queue.name'));
    expect(() => scheduler.process('t', () => 1, null as never)).toThrow(refusal('process.options'));
    expect(() => scheduler.process('t', () => 1, 'jobs' as never)).toThrow(refusal('process.options'));
    expect(() => scheduler.process('t', () => 1, { queue: 'other' })).toThrow(refusal('process.queue'));
    expect(() => scheduler.process('t', () => 1, { queue: 'jobs' })).not.toThrow();
  });
});
