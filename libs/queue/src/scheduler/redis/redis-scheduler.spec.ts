import Redis from 'ioredis';
import { createQueue } from '../../queue/create-queue';
import { RedisServerHandle, spawnRedis, uniquePrefix } from '../../testing';
import { FixtureProcess } from '../../dispatcher/testing/child-process';
import { createScheduler } from '../create-scheduler';
import type { ScheduleInfo, SchedulerStats } from '../scheduler';
import { redisKit, sleep, waitFor } from '../testing/scheduler-test-kit';

// Tests here start child processes (ts-node compiles each first): slow on a busy machine.
jest.setTimeout(150_000);

/** Redis-only behaviour: durability across restarts of every process and of Redis, replicas in separate processes. */
describe('Redis scheduler', () => {
  let server: RedisServerHandle;
  const children: FixtureProcess[] = [];
  const start = async (prefix: string, lazy = false) => {
    const child = await FixtureProcess.start('scheduler-node.ts', { REDIS_URL: server.url, PREFIX: prefix, LAZY: lazy ? '1' : '0' });
    children.push(child);
    return child;
  };
  beforeAll(async () => {
    server = await spawnRedis({ aof: true });
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => c.kill()));
    await server?.cleanup();
  });

  it('delayed and recurring tasks survive a restart of every process and of Redis (AOF), then fire on time', async () => {
    const prefix = uniquePrefix('sch-durable');
    // the process that takes over is launched now (compiling TypeScript is slow on a busy machine)
    // but opens nothing before the restarts
    const [before, after] = await Promise.all([start(prefix), start(prefix, true)]);
    const dueAt = Date.now() + 3000;
    const id = await before.request<string>('schedule', { task: { type: 'later', payload: { x: 1 } }, when: { at: dueAt } });
    const doomed = await before.request<string>('schedule', { task: { type: 'later', payload: { x: 2 } }, when: { at: dueAt } });
    await before.request('schedule', { task: { type: 'every' }, when: { everyMs: 300, key: 'durable-ticker' } });
    await before.kill(); // SIGKILL: no clean shutdown
    await server.kill(); // Redis too; appendfsync always keeps every acknowledged write
    await server.restart();

    await after.request('init');
    const listed = await after.request<ScheduleInfo[]>('list');
    expect(listed.map((s) => s.id).sort()).toEqual([doomed, id, 'recurring:durable-ticker'].sort());
    expect(await after.request('cancel', { taskId: doomed })).toBe(true);
    await after.request('process', { type: 'later' });
    await after.request('process', { type: 'every' });
    const runs = (type: string) => after.events.filter((e) => e.task.type === type).map((e) => e.task);
    await waitFor(() => runs('later').length === 1, 'the delayed task after the restarts', 8000);
    expect(runs('later')[0]).toMatchObject({ payload: { x: 1 } });
    expect(runs('later')[0].at as number).toBeGreaterThanOrEqual(dueAt - 5);
    await waitFor(() => runs('every').length >= 2, 'the recurring task after the restarts');
    await sleep(200);
    expect(runs('later')).toHaveLength(1);
    expect(await after.request('cancel', { taskId: id })).toBe(false);
    await after.stop();
  });

  it('three replica processes run a recurring task exactly once per occurrence over 20+ occurrences', async () => {
    const prefix = uniquePrefix('sch-replicas');
    const replicas = await Promise.all([start(prefix), start(prefix), start(prefix)]);
    const client: Redis = server.client();
    const queue = createQueue({ name: 'jobs', backend: { type: 'redis', client, prefix }, concurrency: 8 });
    const observer = createScheduler({ backend: { type: 'redis', client, prefix }, queues: [queue], autoStart: false });
    try {
      const seen: string[] = [];
      queue.process('heartbeat', (m) => void seen.push(m.id));
      const interval = 150;
      await replicas[0].request('schedule', { task: { type: 'heartbeat', queue: 'jobs' }, when: { everyMs: interval, key: 'hb' } });
      // an everyMs schedule's first run is one interval after its creation (read from its definition:
      // its nextRunAt may already have moved on when a loaded machine reads it)
      const firstRun = (await observer.list())[0].createdAt + interval;
      await waitFor(async () => (await observer.stats()).total_tasks >= 22, '22 occurrences', 20_000);
      await Promise.all(replicas.map((r) => r.stop()));
      const lastNext = (await observer.list())[0].nextRunAt;
      const occurrences = (lastNext - firstRun) / interval;
      const stats: SchedulerStats = await observer.stats();
      await waitFor(async () => (await queue.stats()).total_processed === stats.total_tasks, 'the queue to drain');
      expect(Number.isInteger(occurrences)).toBe(true);
      expect(occurrences).toBeGreaterThanOrEqual(22);
      // every occurrence the schedule moved past was published once and only once
      expect(stats.total_tasks).toBe(occurrences);
      expect(seen).toHaveLength(occurrences);
      expect(new Set(seen).size).toBe(occurrences);
      expect((await queue.stats()).total_published).toBe(occurrences);
    } finally {
      await observer.close();
      await queue.close({ drainTimeoutMs: 100 });
      client.disconnect();
    }
  });

  it('a definition change wakes sleeping replicas (no polling)', async () => {
    const kit = redisKit(() => server.client(), uniquePrefix('sch-wake'));
    try {
      kit.queue();
      const sleeper = kit.scheduler({ maxIdleMs: 60_000 });
      const writer = kit.scheduler({ autoStart: false });
      const runs: number[] = [];
      sleeper.process('soon', () => void runs.push(Date.now()));
      await sleep(100); // the sleeper now waits with nothing scheduled
      await writer.schedule({ type: 'soon' }, { everyMs: 200, key: 'wake-test' });
      await waitFor(() => runs.length >= 2, 'runs fired by the woken replica', 10_000); // it would sleep 60 s unless woken
    } finally {
      await kit.close();
    }
  });
});
