import { RedisServerHandle, spawnRedis, uniquePrefix } from '../../testing';
import { redisKit, SchedulerKit, sleep, waitFor } from '../testing/scheduler-test-kit';

/** Redis-only behaviour: durability across restarts, replicas. */
describe('Redis scheduler', () => {
  let server: RedisServerHandle;
  let kits: SchedulerKit[] = [];
  beforeAll(async () => {
    server = await spawnRedis({ aof: true });
  });
  afterAll(async () => {
    await server?.cleanup();
  });
  afterEach(async () => {
    await Promise.all(kits.splice(0).map((k) => k.close()));
  });
  const newKit = (prefix: string) => {
    const kit = redisKit(() => server.client(), prefix);
    kits.push(kit);
    return kit;
  };

  it('delayed and recurring tasks survive a restart of every process and of Redis (AOF), then fire on time', async () => {
    const prefix = uniquePrefix('sch-durable');
    const before = newKit(prefix);
    before.queue();
    const scheduler = before.scheduler();
    const dueAt = Date.now() + 2500;
    const id = await scheduler.schedule({ type: 'later', payload: { x: 1 } }, { at: dueAt });
    const cancelled = await scheduler.schedule({ type: 'later', payload: { x: 2 } }, { at: dueAt });
    await scheduler.schedule({ type: 'every' }, { everyMs: 300, key: 'durable-ticker' });
    // every "process" goes away, then Redis restarts from its append-only file
    await before.close();
    kits = kits.filter((k) => k !== before);
    await server.stop();
    await server.restart();

    const after = newKit(prefix);
    after.queue();
    const revived = after.scheduler();
    const runs: Array<{ at: number; payload: unknown }> = [];
    const ticks: number[] = [];
    revived.process('later', (m) => void runs.push({ at: Date.now(), payload: m.payload }));
    revived.process('every', () => void ticks.push(Date.now()));
    expect((await revived.list()).map((s) => s.id).sort()).toEqual([cancelled, id, 'recurring:durable-ticker'].sort());
    expect(await revived.cancel(cancelled)).toBe(true);
    await waitFor(() => runs.length === 1, 6000, 'the delayed task after the restart');
    expect(runs[0].payload).toEqual({ x: 1 });
    expect(runs[0].at).toBeGreaterThanOrEqual(dueAt - 5);
    await waitFor(() => ticks.length >= 2, 3000, 'the recurring task after the restart');
    await sleep(200);
    expect(runs).toHaveLength(1);
    expect(await revived.cancel(id)).toBe(false);
  });

  it('three replicas run a recurring task exactly once per occurrence over 20+ occurrences', async () => {
    const prefix = uniquePrefix('sch-replicas');
    const kit = newKit(prefix);
    const queue = kit.queue();
    const replicas = [kit.scheduler(), kit.scheduler(), kit.scheduler()];
    const seen: string[] = [];
    queue.process('heartbeat', (m) => void seen.push(m.id), { concurrency: 8 });
    const interval = 150;
    await replicas[0].schedule({ type: 'heartbeat' }, { everyMs: interval, key: 'hb' });
    const firstRun = (await replicas[1].list())[0].nextRunAt;
    await waitFor(async () => (await replicas[2].stats()).total_tasks >= 22, 15_000, '22 occurrences');
    await Promise.all(replicas.map((r) => r.close()));
    const lastNext = (await kit.scheduler({ autoStart: false }).list())[0].nextRunAt;
    const occurrences = (lastNext - firstRun) / interval;
    const { total_tasks } = await replicas[0].stats();
    await waitFor(async () => (await queue.stats()).total_processed === total_tasks, 5000, 'the queue to drain');
    expect(Number.isInteger(occurrences)).toBe(true);
    expect(occurrences).toBeGreaterThanOrEqual(22);
    // every occurrence the schedule moved past was published once and only once
    expect(total_tasks).toBe(occurrences);
    expect(seen).toHaveLength(occurrences);
    expect(new Set(seen).size).toBe(occurrences);
    expect((await queue.stats()).total_published).toBe(occurrences);
  });

  it('a definition change wakes sleeping replicas (no polling)', async () => {
    const kit = newKit(uniquePrefix('sch-wake'));
    kit.queue();
    const sleeper = kit.scheduler({ maxIdleMs: 60_000 });
    const writer = kit.scheduler({ autoStart: false });
    const runs: number[] = [];
    sleeper.process('soon', () => void runs.push(Date.now()));
    await sleep(100); // the sleeper is now waiting with nothing scheduled
    await writer.schedule({ type: 'soon' }, { everyMs: 200, key: 'wake-test' });
    await waitFor(() => runs.length >= 2, 3000, 'runs fired by the woken replica');
  });
});
