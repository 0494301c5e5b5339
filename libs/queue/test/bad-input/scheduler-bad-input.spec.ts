/**
 * Bad input at the scheduler (issue 13, "Bad input, everywhere"): its keys holding the wrong Redis
 * type, recurring definitions that are not JSON or not definitions, damaged counters and one-off
 * entries. A damaged definition is removed with an error naming it; the other recurring tasks keep
 * firing on time; a key of the wrong type is a typed error naming the key, logged once by the loop.
 */
import { createQueue, createScheduler, RedisKeyTypeError, Scheduler, StoreBackedQueue } from '../../src';
import { SchedulerKeys } from '../../src/scheduler/redis/redis-scheduler-store';
import { uniquePrefix, useTestRedis } from '../../src/testing';
import { captureLogger, CapturedLog } from '../support/capture-logger';
import { waitFor } from '../support/wait';

jest.setTimeout(60_000);

const redis = useTestRedis({ spawn: true });
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function setup(name: string, logger: CapturedLog): { scheduler: Scheduler; queue: StoreBackedQueue; runs: Map<string, number>; keys: SchedulerKeys } {
  const prefix = uniquePrefix('sch');
  const queue = createQueue({ name: 'jobs', backend: { type: 'redis', client: redis.client, prefix: `${prefix}:q` }, logger });
  const runs = new Map<string, number>();
  queue.process('tick', async (m) => {
    const key = (m.payload as { key: string }).key;
    runs.set(key, (runs.get(key) ?? 0) + 1);
  });
  const scheduler = createScheduler({
    name,
    backend: { type: 'redis', client: redis.client, prefix, queuePrefix: `${prefix}:q` },
    queues: [queue],
    defaultQueue: 'jobs',
    logger,
    maxIdleMs: 200,
  });
  closers.push(() => queue.close({ drainTimeoutMs: 200 }));
  closers.push(() => scheduler.close());
  return { scheduler, queue, runs, keys: new SchedulerKeys(prefix, name) };
}

describe('scheduler', () => {
  it('damaged recurring definitions are removed with the reason; the healthy recurring task keeps firing', async () => {
    const logger = captureLogger();
    const { scheduler, runs, keys } = setup('defs', logger);
    await scheduler.schedule({ type: 'tick', payload: { key: 'healthy' } }, { everyMs: 100, key: 'healthy' });
    const due = Date.now() - 10;
    const damaged: Record<string, string> = {
      'not-json': '{oops',
      'not-object': '42',
      'no-task': JSON.stringify({ key: 'no-task', when: { everyMs: 100 }, anchor: 0 }),
      'bad-type': JSON.stringify({ key: 'bad-type', task: { type: 'has|pipe', queue: 'jobs' }, when: { everyMs: 100 }, anchor: 0 }),
      'bad-cron': JSON.stringify({ key: 'bad-cron', task: { type: 'tick', queue: 'jobs' }, when: { cron: 'every full moon', tz: 'UTC' }, anchor: 0 }),
      'no-when': JSON.stringify({ key: 'no-when', task: { type: 'tick', queue: 'jobs' }, anchor: 0 }),
    };
    for (const [key, json] of Object.entries(damaged)) await redis.client.multi().hset(keys.rec, key, json).zadd(keys.next, due, key).exec();
    await redis.client.zadd(keys.next, due, 'no-definition-at-all');
    await waitFor(async () => (await redis.client.zcard(keys.next)) === 1, 'every damaged entry removed');
    for (const key of [...Object.keys(damaged), 'no-definition-at-all']) {
      expect(logger.matching(`recurring task "${key}" has no readable definition (`)).toHaveLength(1);
    }
    const before = runs.get('healthy') ?? 0;
    await waitFor(() => (runs.get('healthy') ?? 0) >= before + 3, 'the healthy task keeps firing');
    expect((await scheduler.list()).map((s) => s.id)).toEqual(['recurring:healthy']);
  });

  it('damaged counters and one-off entries: stats stay numbers, list skips what it cannot read', async () => {
    const logger = captureLogger();
    const { scheduler, runs, keys } = setup('counters', logger);
    await redis.client.hset(keys.stats, 'total', 'lots', 'completed', '{}');
    await redis.client
      .multi()
      .zadd(keys.once, Date.now() + 60_000, 'once:jobs:ghost')
      .hset(keys.oncedefs, 'once:jobs:ghost', 'not json')
      .exec();
    await scheduler.schedule({ type: 'tick', payload: { key: 'once' } }, { delayMs: 10 });
    await waitFor(() => runs.get('once') === 1, 'the one-off task runs');
    const stats = await scheduler.stats();
    for (const value of Object.values(stats)) expect(Number.isInteger(value)).toBe(true);
    expect(stats.total_tasks).toBe(1); // the damaged counter was reset by the increment
    expect((await scheduler.list()).filter((s) => s.id === 'once:jobs:ghost')).toEqual([]);
  });

  it.each(['rec', 'next', 'once', 'oncedefs', 'stats', 'active'] as const)(
    'key "%s" of the wrong type: a typed error naming it (logged once by the loop); another scheduler is unaffected; repaired, it works',
    async (field) => {
      const logger = captureLogger();
      const victim = setup(`victim-${field}`, logger);
      const other = setup(`other-${field}`, captureLogger());
      const key = victim.keys[field];
      await redis.client.set(key, 'wrong type');
      await other.scheduler.schedule({ type: 'tick', payload: { key: 'other' } }, { everyMs: 100, key: 'other' });
      const attempt = () => victim.scheduler.schedule({ type: 'tick', payload: { key: 'victim' } }, { everyMs: 100, key: 'victim' });
      const scheduled = await attempt().then(
        () => true,
        (error: unknown) => {
          expect(error).toBeInstanceOf(RedisKeyTypeError);
          expect(error).toMatchObject({ key, found: 'string' });
          return false;
        },
      );
      await victim.scheduler.stats().catch((error: unknown) => expect(error).toMatchObject({ key }));
      await waitFor(() => (other.runs.get('other') ?? 0) >= 3, 'the other scheduler keeps firing');
      await waitFor(() => (other.runs.get('other') ?? 0) >= 6, 'and keeps firing while the victim retries');
      const named = logger.lines.filter((l) => l.startsWith('error') && l.includes(key));
      expect(named.length).toBeLessThanOrEqual(1);
      for (const line of logger.lines.filter((l) => l.includes('WRONGTYPE'))) expect(line).toContain(key);
      await redis.client.del(key);
      if (!scheduled) await attempt();
      await waitFor(() => (victim.runs.get('victim') ?? 0) >= 2, 'the victim fires after the repair', 20_000);
    },
  );
});
