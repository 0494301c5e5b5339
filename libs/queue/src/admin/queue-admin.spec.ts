/** QueueAdmin on one Redis server: listing, rate limits, groups, peek, dead letters, schedules, streams and pub/sub. */
import { hostname } from 'os';
import type Redis from 'ioredis';
import { createEventBus } from '../events/create-event-bus';
import type { EventBus } from '../events/event-bus';
import { createQueue } from '../queue/create-queue';
import type { StoreBackedQueue } from '../queue/task-queue';
import { createScheduler } from '../scheduler/create-scheduler';
import { deferred, RedisServerHandle, spawnRedis, uniquePrefix, waitFor } from '../testing';
import { parseConfig } from '../config/config-loader';
import { QueueError } from '../errors';
import { AdminConnectionError } from './admin-connection';
import { QueueAdmin, TailedEvent } from './queue-admin';
import { groupsSeenByAdmin, rateLimitsSeen, SLOW } from './testing/admin-scenarios';

describe('QueueAdmin.fromConfig without a Redis to reach', () => {
  it('fails with AdminConnectionError (a QueueError, code ADMIN_CONNECTION) naming the masked URL', async () => {
    const config = parseConfig({ redis: { url: 'redis://user:hunter2@127.0.0.1:1' } }, { env: {} });
    const quiet = { warn: () => undefined, log: () => undefined };
    const error = await QueueAdmin.fromConfig(config, 300, quiet).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdminConnectionError);
    expect(error).toBeInstanceOf(QueueError);
    expect(error).toMatchObject({ code: 'ADMIN_CONNECTION', name: 'AdminConnectionError' });
    expect((error as Error).message).toMatch(/not reachable within 300 ms/);
    expect((error as Error).message).not.toContain('hunter2');
  });
});

describe('QueueAdmin on Redis', () => {
  let server: RedisServerHandle;
  let client: Redis;
  const queues: StoreBackedQueue[] = [];
  const buses: EventBus[] = [];

  beforeAll(async () => {
    server = await spawnRedis();
    client = server.client();
  }, 30_000);

  afterAll(async () => {
    await Promise.all(queues.map((q) => q.close({ drainTimeoutMs: 200 })));
    await Promise.all(buses.map((b) => b.close({ drainTimeoutMs: 200 })));
    client?.disconnect();
    await server?.cleanup();
  });

  const open = (prefix: string, name: string, maxRetries = 0) => {
    const q = createQueue({ name, maxRetries, backoff: { baseMs: 1 }, backend: { type: 'redis', client, prefix } });
    queues.push(q);
    return q;
  };

  it('lists every queue under its prefix only, with depth per tier, in flight, delayed, dead letters and counters', async () => {
    const prefix = uniquePrefix('adm');
    const a = open(prefix, 'alpha');
    const b = open(prefix, 'beta.v2');
    const before = Date.now();
    open(uniquePrefix('other'), 'gamma');
    await a.publishBatch([
      { type: 't', priority: 'critical' },
      { type: 't', priority: 'low' },
      { type: 't', priority: 'low' },
    ]);
    await a.publish({ type: 't', delayMs: 60_000 });
    await b.publish({ type: 't' });
    await b.pause();
    // a scheduler's keys share the prefix but are not a queue
    const scheduler = createScheduler({ name: 'svc', autoStart: false, backend: { type: 'redis', client, prefix, queuePrefix: prefix } });
    await scheduler.schedule({ type: 'later', queue: 'alpha' }, { cron: '0 0 1 1 *', key: 'yearly' });
    await scheduler.close();
    const admin = new QueueAdmin({ client, prefix });
    expect(await admin.listQueues()).toEqual(['alpha', 'beta.v2']);
    expect([await admin.exists('alpha'), await admin.exists('gamma'), await admin.exists('svc'), await admin.exists('bad{name')]).toEqual([
      true,
      false,
      false,
      false,
    ]);
    const [ia, ib] = await admin.overview();
    expect(ia).toMatchObject({
      name: 'alpha',
      paused: false,
      tiers: { critical: 1, high: 0, normal: 0, low: 2 },
      waiting: 3,
      delayed: 1,
      inflight: 0,
      deadLetters: 0,
      published: 4,
    });
    expect(ib).toMatchObject({ name: 'beta.v2', paused: true, waiting: 1, workers: 0 });
    // latency: the age of the head of each tier (null when empty); no worker, so no publish-to-start figures
    const age = ia.latency.oldestWaitingMs;
    expect([age.high, age.normal]).toEqual([null, null]);
    expect(age.critical).toBeGreaterThanOrEqual(0);
    expect(age.critical).toBeLessThanOrEqual(Date.now() - before);
    expect(ia.latency.oldestMs).toBe(Math.max(age.critical ?? 0, age.low ?? 0));
    expect(ia.latency).toMatchObject({ starts: 0, waitP50Ms: null, waitP95Ms: null });
    await admin.resume('beta.v2');
    expect((await admin.info('beta.v2')).paused).toBe(false);
    await admin.close();
  });

  it('shows rate limits (configured and kept by workers), their tokens and the messages parked per type', async () => {
    const prefix = uniquePrefix('adm');
    const admin = new QueueAdmin({ client, prefix, queueOptions: (name) => ({ name, rateLimits: { slow: SLOW } }) });
    const q = await rateLimitsSeen(
      (options) => {
        const queue = createQueue({ ...options, name: 'limited', backend: { type: 'redis', client, prefix } });
        queues.push(queue);
        return queue;
      },
      (queue) => admin.rateLimits(queue.name),
    );
    // the overview: the limits with their tokens (parked per type not counted there) and the parked total
    const info = await admin.info('limited');
    expect(info.parked).toBe(4);
    expect(info.rateLimits.map((l) => [l.name, l.tokens, l.parked])).toEqual([
      ['capped', 0, null],
      ['slow', 0, null],
    ]);
    // once the worker is gone and without configuration, the buckets are still seen, their limit unknown
    await q.close({ drainTimeoutMs: 0 });
    const bare = new QueueAdmin({ client, prefix });
    expect((await bare.rateLimits('limited')).limits).toEqual([
      expect.objectContaining({ name: 'capped', max: null, tokens: null, nextTokenInMs: null, workers: 0, configured: false, parked: 1 }),
      expect.objectContaining({ name: 'slow', max: null, tokens: null, parked: 3 }),
    ]);
    await Promise.all([admin.close(), bare.close()]);
  });

  it('lists the groups of a queue (ready, blocked, in flight) and sees grouped messages in the oldest ages', async () => {
    await groupsSeenByAdmin(client, uniquePrefix('adm'), 'grouped');
  });

  it('peeks tiers head first, delayed, in flight and completed without taking anything', async () => {
    const prefix = uniquePrefix('adm');
    const q = open(prefix, 'work');
    const ids = await q.publishBatch([1, 2, 3].map((n) => ({ type: 'job', payload: { n }, priority: 'high' as const })));
    const delayedId = await q.publish({ type: 'later', delayMs: 60_000, payload: '<script>x</script>' });
    const admin = new QueueAdmin({ client, prefix });
    const page = await admin.peek('work', 'high', { limit: 2 });
    expect(page.total).toBe(3);
    expect(page.items.map((i) => i.id)).toEqual(ids.slice(0, 2));
    expect(page.items[0]).toMatchObject({ type: 'job', priority: 'high', payload: { n: 1 }, attempts: 0 });
    expect((await admin.peek('work', 'high', { offset: 2 })).items.map((i) => i.id)).toEqual([ids[2]]);
    const delayed = await admin.peek('work', 'delayed');
    expect(delayed.items).toEqual([expect.objectContaining({ id: delayedId, type: 'later', payload: '<script>x</script>' })]);
    expect(delayed.items[0].at).toBeGreaterThan(Date.now() + 50_000);
    expect((await q.stats()).queue_length.high).toBe(3); // nothing was taken

    const release = deferred();
    q.process(
      'job',
      async (m) => {
        if ((m.payload as { n: number }).n === 1) await release.promise;
        return { done: (m.payload as { n: number }).n };
      },
      { concurrency: 1 },
    );
    // the worker may hold the others too (prefetch); the first is running until released
    const inflight = await waitFor(async () => {
      const page = await admin.peek('work', 'inflight');
      return page.items.find((i) => i.id === ids[0]);
    }, 'the first message in flight');
    expect(inflight).toMatchObject({ id: ids[0], type: 'job', attempts: 1 });
    expect(inflight.at).toBeGreaterThan(Date.now());
    // who holds it: this process, from the worker registry; how long, from the lease token
    const held = await waitFor(async () => (await admin.inflight('work')).items.find((i) => i.id === ids[0] && i.holder), 'the holder known');
    expect(held.holder).toEqual({ id: inflight.worker, host: hostname(), pid: process.pid });
    expect(held.heldMs).toBeGreaterThanOrEqual(0);
    expect(held.leaseEndsInMs).toBeGreaterThan(0);
    expect(await admin.workers('work')).toEqual([expect.objectContaining({ id: inflight.worker, host: hostname(), pid: process.pid, concurrency: 1 })]);
    // the next heartbeat (within 2.5 s of a worker turning busy) carries the start: publish-to-start percentiles appear
    const info = await waitFor(
      async () => {
        const i = await admin.info('work');
        return i.latency.starts >= 1 && i;
      },
      'a heartbeat with the start counted',
      15_000,
    );
    expect(info.workers).toBe(1);
    expect(info.latency.waitP95Ms).toBeGreaterThanOrEqual(info.latency.waitP50Ms ?? 0);
    expect(info.latency.waitP50Ms).toBeGreaterThan(0);
    release.resolve();
    await waitFor(async () => (await admin.peek('work', 'completed')).total === 3, 'three completed');
    const completed = await admin.peek('work', 'completed', { limit: 10 });
    expect(completed.items.map((i) => i.result)).toEqual([{ done: 3 }, { done: 2 }, { done: 1 }]);
    expect(completed.items[0]).toMatchObject({ type: 'job', attempts: 1 });
    await expect(admin.peek('work', 'nowhere' as 'high')).rejects.toThrow(/peek.target/);
    await admin.close();
  });

  it('filters dead letters by type and time, replays some (they run) and purges the rest', async () => {
    const prefix = uniquePrefix('adm');
    const q = open(prefix, 'dl');
    let failing = true;
    const ran: string[] = [];
    const handler = async (m: { id: string }) => {
      if (failing) throw new Error('boom');
      ran.push(m.id);
    };
    q.process('a', handler);
    q.process('b', handler);
    const aIds = await q.publishBatch([{ type: 'a' }, { type: 'a' }]);
    const bIds = await q.publishBatch([{ type: 'b' }, { type: 'b' }, { type: 'b' }]);
    const admin = new QueueAdmin({ client, prefix });
    await waitFor(async () => (await admin.info('dl')).deadLetters === 5, 'five dead letters');
    expect((await admin.deadLetters('dl', { type: 'a' })).items.map((d) => d.id).sort()).toEqual([...aIds].sort());
    expect((await admin.deadLetters('dl', { type: 'b', limit: 2 })).items).toHaveLength(2);
    expect((await admin.deadLetters('dl', { since: Date.now() + 1000 })).items).toHaveLength(0);
    const one = await admin.deadLetter('dl', aIds[0]);
    expect(one).toMatchObject({ id: aIds[0], type: 'a', error: { message: 'boom' } });
    failing = false;
    expect((await admin.replayMatching('dl', { type: 'a' })).sort()).toEqual([...aIds].sort());
    await waitFor(() => ran.length === 2, 'replayed dead letters run');
    expect(ran.sort()).toEqual([...aIds].sort());
    expect(await admin.replay('dl', ['missing'])).toEqual([]);
    expect((await admin.purgeMatching('dl')).sort()).toEqual([...bIds].sort());
    expect((await admin.info('dl')).deadLetters).toBe(0);
    await admin.close();
  });

  it('lists and cancels schedules of every scheduler under the prefix', async () => {
    const prefix = uniquePrefix('adm');
    const s1 = createScheduler({ name: 'svc-a', autoStart: false, backend: { type: 'redis', client, prefix, queuePrefix: prefix } });
    const s2 = createScheduler({ name: 'svc-b', autoStart: false, backend: { type: 'redis', client, prefix, queuePrefix: prefix } });
    const rec = await s1.schedule({ type: 'tick', queue: 'q1' }, { everyMs: 60_000, key: 'tick' });
    const once = await s2.schedule({ type: 'once', queue: 'q2' }, { delayMs: 120_000 });
    await Promise.all([s1.close(), s2.close()]);
    const admin = new QueueAdmin({ client, prefix });
    expect(await admin.listSchedulers()).toEqual(['svc-a', 'svc-b']);
    const list = await admin.schedules();
    expect(list.map((s) => [s.scheduler, s.id, s.kind])).toEqual([
      ['svc-a', rec, 'recurring'],
      ['svc-b', once, 'once'],
    ]);
    expect(await admin.cancelSchedule(once)).toEqual(['svc-b']);
    expect(await admin.cancelSchedule(rec, 'svc-a')).toEqual(['svc-a']);
    expect(await admin.cancelSchedule(rec)).toEqual([]);
    expect(await admin.schedules()).toEqual([]);
    await admin.close();
  });

  it('shows stream consumer groups with pending and lag, and tails streams and pub/sub channels', async () => {
    const prefix = uniquePrefix('adm');
    const evPrefix = `${prefix}:ev`;
    const stream = createEventBus({ type: 'redis_stream', client, prefix: evPrefix, serviceName: 'svc', consumerName: 'c1' });
    const pubsub = createEventBus({ type: 'redis_pubsub', client, prefix: evPrefix, serviceName: 'svc' });
    buses.push(stream, pubsub);
    const hold = deferred();
    await stream.subscribe('room.events', async () => hold.promise);
    const admin = new QueueAdmin({ client, prefix });
    const tailed: TailedEvent[] = [];
    const stopStream = await admin.tail('room.events', 'stream', (e) => tailed.push(e));
    const stopPubsub = await admin.tail('chat.*', 'pubsub', (e) => tailed.push(e));
    await stream.publish('room.events', 'room.opened', { room: 1 });
    await pubsub.publish('chat.lobby', 'chat.said', { text: 'hi' });
    await waitFor(() => tailed.length === 2, 'two tailed events');
    expect(tailed.map((t) => [t.channel, t.event?.type])).toEqual(
      expect.arrayContaining([
        ['room.events', 'room.opened'],
        ['chat.lobby', 'chat.said'],
      ]),
    );
    expect(await admin.listStreams()).toEqual(['room.events']);
    const groups = await waitFor(async () => {
      const g = await admin.groups();
      return g.length === 1 && g[0].pending === 1 && g;
    }, 'one pending entry');
    expect(groups[0]).toMatchObject({ channel: 'room.events', group: 'svc', length: 1, consumers: [expect.objectContaining({ name: 'c1', pending: 1 })] });
    hold.resolve();
    await Promise.all([stopStream(), stopPubsub()]);
    await admin.close();
  });

  it.each(['stream', 'pubsub'] as const)('ends a %s tail whose listener throws: nothing more delivered, stop() rejects with the error', async (mode) => {
    const prefix = uniquePrefix('adm');
    const bus = createEventBus({ type: mode === 'stream' ? 'redis_stream' : 'redis_pubsub', client, prefix: `${prefix}:ev`, serviceName: 'svc' });
    buses.push(bus);
    const admin = new QueueAdmin({ client, prefix });
    const seen: string[] = [];
    const boom = new Error('listener failed');
    const stop = await admin.tail('room.events', mode, (e) => {
      seen.push(e.event?.type ?? '');
      if (seen.length === 1) throw boom;
    });
    await bus.publish('room.events', 'first', {});
    await waitFor(() => seen.length === 1, 'the first event');
    // the tail's connection is gone once the throw is seen: a pub/sub channel without subscriber
    if (mode === 'pubsub') await waitFor(async () => Number((await client.pubsub('NUMSUB', `${prefix}:ev:room.events`))[1]) === 0, 'tail unsubscribed');
    await bus.publish('room.events', 'second', {});
    await bus.publish('room.events', 'third', {});
    const other: TailedEvent[] = [];
    const stopOther = await admin.tail('room.events', mode, (e) => other.push(e));
    await bus.publish('room.events', 'fourth', {});
    await waitFor(() => other.length === 1, 'a second tail sees the next event');
    expect(seen).toEqual(['first']);
    await expect(stop()).rejects.toBe(boom);
    await stopOther();
    await admin.close();
  });

  it('lists pub/sub channels with their subscribers, and counts messages per channel once sampling', async () => {
    const prefix = uniquePrefix('adm');
    const evPrefix = `${prefix}:ev`;
    const bus = createEventBus({ type: 'redis_pubsub', client, prefix: evPrefix, serviceName: 'svc' });
    const other = createEventBus({ type: 'redis_pubsub', client, prefix: `${prefix}x:ev`, serviceName: 'svc' });
    buses.push(bus, other);
    await bus.subscribe('chat.lobby', async () => undefined);
    await other.subscribe('chat.lobby', async () => undefined);
    const admin = new QueueAdmin({ client, prefix });
    expect(await admin.pubsub()).toEqual({ samplingSince: null, channels: [{ channel: 'chat.lobby', subscribers: 1, published: null, ratePerSec: null }] });
    const sampled = await admin.pubsub({ sample: true });
    expect(sampled.samplingSince).toBeGreaterThan(0);
    expect(sampled.channels).toEqual([{ channel: 'chat.lobby', subscribers: 1, published: 0, ratePerSec: 0 }]);
    for (let i = 0; i < 3; i++) await bus.publish('chat.lobby', 'chat.said', { i });
    await bus.publish('audit.nobody-listens', 'audit.x', {});
    await other.publish('chat.lobby', 'chat.said', {}); // another prefix: not counted
    const after = await waitFor(async () => {
      const o = await admin.pubsub({ sample: true });
      return o.channels.find((c) => c.channel === 'audit.nobody-listens') && o.channels.find((c) => c.channel === 'chat.lobby')?.published === 3 && o;
    }, 'four messages counted');
    expect(after.channels).toEqual([
      { channel: 'audit.nobody-listens', subscribers: 0, published: 1, ratePerSec: expect.any(Number) },
      { channel: 'chat.lobby', subscribers: 1, published: 3, ratePerSec: expect.any(Number) },
    ]);
    expect(after.channels[1].ratePerSec).toBeGreaterThan(0);
    await admin.close();
  });
});
