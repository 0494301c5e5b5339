/** QueueManager on a Redis server and a Redis Cluster: start-up checks, connections, readiness through an outage, metrics. */
import Redis from 'ioredis';
import { RedisServerHandle, spawnRedis, spawnRedisCluster, waitFor } from '../testing';
import { QueueManager } from './queue-manager';
import type { QueueLogger } from '../logger';
import { checkRedis, RedisStartupError } from './redis-checks';

/** A QueueLogger that keeps its warnings (the rest is dropped). */
function warningsLogger(): { logger: QueueLogger; warnings: string[] } {
  const warnings: string[] = [];
  const logger: QueueLogger = {
    log: () => undefined,
    warn: (m) => void warnings.push(m),
    error: () => undefined,
    debug: () => undefined,
    child: () => logger,
  };
  return { logger, warnings };
}

describe('QueueManager (Redis)', () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await spawnRedis({ args: ['--maxmemory-policy', 'allkeys-lru'] });
  });
  afterAll(() => server.cleanup());

  it('a user that may not CONFIG GET: the checks say what they could not read, not that RDB is on', async () => {
    const admin = server.client();
    await admin.call('ACL', 'SETUSER', 'noconfig', 'reset', 'on', '>pw-noconfig', '~*', '&*', '+@all', '-config');
    admin.disconnect();
    const client = new Redis(server.url, { username: 'noconfig', password: 'pw-noconfig', lazyConnect: true });
    await client.connect();
    const { logger, warnings } = warningsLogger();
    const report = await checkRedis(client, logger);
    client.disconnect();
    expect(report.nodes[0]).toMatchObject({ maxmemoryPolicy: null, aof: false, rdb: null });
    expect(warnings.join('\n')).toMatch(/AOF is off and RDB snapshots could not be read \(CONFIG GET refused\)/);
    expect(warnings.join('\n')).not.toMatch(/since the last RDB snapshot/);
  });

  it('checks Redis at start, runs every component on it and closes its connections on shutdown', async () => {
    const manager = await QueueManager.create(
      {
        service_name: 'meeting',
        redis: { url: server.url, key_prefix: 'mgr' },
        message_queue: { queue_name: 'meeting_tasks' },
        event_bus: { type: 'redis_pubsub' },
        metrics: { default_metrics: false },
      },
      { env: {} },
    );
    expect(manager.redisReport!.nodes[0]).toMatchObject({ maxmemoryPolicy: 'allkeys-lru', aof: false, rdb: false });
    expect(manager.redisReport!.warnings.join('\n')).toMatch(/maxmemory-policy is allkeys-lru.*noeviction/);
    expect(manager.redisReport!.warnings.join('\n')).toMatch(/neither AOF nor RDB/);
    const events: string[] = [];
    manager.subscribe('meeting.*', (event, ctx) => void events.push(`${ctx.channel}:${event.type}`));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    manager.registerTaskHandler('transcode', async (payload: { n: number }) => {
      started = true;
      await gate;
      return payload.n * 2;
    });
    await manager.start();
    await manager.events.publish('meeting.started', 'meeting.started', { id: 'm1' });
    await waitFor(() => events.length === 1);
    expect(events).toEqual(['meeting.started:meeting.started']);
    const scheduled = await manager.scheduler.schedule({ type: 'transcode', payload: { n: 1 } }, { delayMs: 10 });
    expect(scheduled).toMatch(/^once:/);
    await waitFor(() => started);
    const stats = await manager.stats();
    expect(stats.message_queue).toMatchObject({ total_published: 1, processing_count: 1 });
    expect(stats.event_bus).toMatchObject({ type: 'redis_pubsub', total_published: 1, total_received: 1, channel_count: 1 });
    expect(stats.task_scheduler).toMatchObject({ total_tasks: 1 });
    expect(stats.redis?.connections).toEqual([{ connection: 'commands-0', status: 'ready' }]);
    const ready = await manager.readiness();
    expect(ready.ok).toBe(true);
    // Shutdown waits for the running handler, then acknowledges it and closes the connections.
    let stopped = false;
    const stopping = manager.shutdown({ drainTimeoutMs: 5000 }).then(() => (stopped = true));
    await waitFor(() => manager.state === 'stopping');
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(manager.redis!.states()).toEqual([{ connection: 'commands-0', status: 'end' }]);
    const check = new Redis(server.url);
    try {
      const names = ((await check.client('LIST')) as string).split('\n').filter((l) => l.includes('name=meeting:'));
      expect(names).toEqual([]);
    } finally {
      check.disconnect();
    }
    const again = await QueueManager.create(
      {
        redis: { url: server.url, key_prefix: 'mgr' },
        message_queue: { queue_name: 'meeting_tasks' },
        event_bus: { enabled: false },
        metrics: { enabled: false },
      },
      { env: {} },
    );
    expect((await again.stats()).message_queue).toMatchObject({ total_processed: 1, processing_count: 0, queue_length: { normal: 0 } });
    await again.shutdown();
  });

  it('exposes stream lag, outbox size and event counters of a redis_stream bus at scrape time', async () => {
    const manager = await QueueManager.create(
      {
        service_name: 'media',
        redis: { url: server.url },
        message_queue: { queue_name: 'media_tasks' },
        event_bus: { type: 'redis_stream' },
        metrics: { default_metrics: false },
      },
      { env: {} },
    );
    const got: string[] = [];
    manager.subscribe('media_events', (event) => void got.push(event.type));
    await manager.start();
    await manager.publishEvent('media_events', 'media.uploaded', { id: 1 });
    await manager.events.publishBatch('media_events', [{ type: 'media.transcoded' }, { type: 'media.deleted' }]);
    await waitFor(() => got.length === 3);
    const text = await manager.metrics!.metrics();
    expect(text).toMatch(/^mq_events_published_total\{bus="redis_stream",channel="media_events"\} 3$/m);
    expect(text).toMatch(/^mq_events_received_total\{bus="redis_stream",channel="media_events"\} 3$/m);
    expect(text).toMatch(/^mq_event_stream_lag\{channel="media_events"\} 0$/m);
    expect(text).toMatch(/^mq_outbox_size\{bus="redis_stream"\} 0$/m);
    expect(text).toMatch(/^mq_events_dropped_total\{bus="redis_stream"\} 0$/m);
    expect(text).toMatch(/^mq_queue_depth\{queue="media_tasks",priority="critical"\} 0$/m);
    expect((await manager.stats()).event_bus).toMatchObject({ type: 'redis_stream', total_published: 3, outbox_size: 0 });
    await expect(manager.scheduleTask({ type: 'thumbnail' }, { delayMs: 60_000 })).resolves.toMatch(/^once:/);
    await manager.shutdown();
  });

  it('reports Redis down in readiness and metrics while it is gone, and recovers', async () => {
    const own = await spawnRedis();
    const { logger, warnings } = warningsLogger();
    let created: QueueManager | undefined;
    try {
      const manager = await QueueManager.create(
        {
          redis: { url: own.url },
          event_bus: { enabled: false },
          health: { ping_timeout_ms: 200 },
          task_scheduler: { enabled: false },
          message_queue: { outbox: { enabled: true, max_size: 10 } },
          metrics: { default_metrics: false },
        },
        { env: {}, logger },
      );
      created = manager;
      await manager.start();
      expect((await manager.readiness()).ok).toBe(true);
      await own.kill();
      const down = await manager.readiness();
      expect(down.ok).toBe(false);
      const redis = down.checks.find((c) => c.name === 'redis')!;
      expect(redis.ok).toBe(false);
      expect(String(redis.detail.error)).toMatch(/PING took longer than 200 ms|Connection is closed|ECONNREFUSED/);
      expect(await manager.metrics!.metrics()).toMatch(/^mq_redis_connection_up\{connection="commands-0"\} 0$/m);
      // The queue outbox (message_queue.outbox) keeps publishes while Redis is away; the gauge shows them.
      await manager.publishTask({ type: 'later', payload: { n: 1 } });
      expect(await manager.metrics!.metrics()).toMatch(/^mq_queue_outbox_size\{queue="meeting_system"\} 1$/m);
      // the outage is logged once (redis/outage-log.ts), not once more per queue at every scrape
      expect(warnings.filter((w) => /stats of queue/.test(w))).toEqual([]);
      await own.restart();
      await waitFor(async () => (await manager.readiness()).ok, 'readiness', 10_000);
      await waitFor(async () => /^mq_queue_outbox_size\{queue="meeting_system"\} 0$/m.test(await manager.metrics!.metrics()), 'an empty queue outbox', 10_000);
      expect((await manager.stats()).message_queue).toMatchObject({ total_published: 1, outbox_size: 0 });
      expect(await manager.metrics!.metrics()).toMatch(/^mq_redis_connection_up\{connection="commands-0"\} 1$/m);
      // Redis gone again: shutdown still ends (its steps are bounded) and closes the connections.
      manager.registerTaskHandler('noop', () => undefined);
      await own.kill();
      await manager.shutdown({ drainTimeoutMs: 200 });
      expect(manager.state).toBe('stopped');
    } finally {
      await created?.shutdown({ drainTimeoutMs: 200 }); // the same promise when the test got there
      await own.cleanup();
    }
  });

  it('keeps queues, scheduler and dispatcher in memory with message_queue.type memory, even beside a Redis bus', async () => {
    const manager = await QueueManager.create(
      {
        service_name: 'mixed',
        redis: { url: server.url },
        message_queue: { type: 'memory', queue_name: 'mem' },
        event_bus: { type: 'redis_pubsub' },
        task_dispatcher: { routes: { double: { queue: 'mem' } } },
        metrics: { enabled: false },
      },
      { env: {} },
    );
    manager.registerTaskHandler('double', (n: number) => n * 2);
    await manager.start();
    expect(await manager.dispatcher.dispatchAndWait('double', 21)).toBe(42);
    await manager.scheduleTask({ type: 'double', payload: 1 }, { delayMs: 60_000 });
    const check = new Redis(server.url);
    try {
      expect(await check.keys('*{mem}*')).toEqual([]);
      expect(await check.keys('*{mixed}*')).toEqual([]);
    } finally {
      check.disconnect();
    }
    await manager.shutdown();
  });

  it('fails fast when Redis cannot be reached, without showing the password', async () => {
    const error = await QueueManager.create({ redis: { url: 'redis://user:hunter2@127.0.0.1:1', connect_timeout_ms: 300 } }, { env: {} }).catch(
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(RedisStartupError);
    expect((error as Error).message).toMatch(/not reachable within 300 ms/);
    expect((error as Error).message).not.toContain('hunter2');
  });
});

describe('QueueManager (Redis Cluster)', () => {
  it('checks every master and runs queues on the cluster', async () => {
    const cluster = await spawnRedisCluster(3);
    try {
      const nodes = cluster.nodes.map((n) => ({ host: n.host, port: n.port }));
      const manager = await QueueManager.create(
        {
          redis: { cluster_nodes: nodes },
          message_queue: { queue_name: 'clustered', queues: { second: {} } },
          event_bus: { type: 'redis_stream' },
          metrics: { enabled: false },
        },
        { env: {} },
      );
      expect(manager.redisReport!.nodes.map((n) => n.node).sort()).toEqual(nodes.map((n) => `${n.host}:${n.port}`).sort());
      const done: string[] = [];
      manager.registerTaskHandler('ping', (p: { q: string }) => void done.push(p.q));
      manager.registerTaskHandler('ping', (p: { q: string }) => void done.push(p.q), { queue: 'second' });
      await manager.start();
      await manager.queue().publish({ type: 'ping', payload: { q: 'clustered' } });
      await manager.queue('second').publish({ type: 'ping', payload: { q: 'second' } });
      await waitFor(() => done.length === 2);
      expect(done.sort()).toEqual(['clustered', 'second']);
      await manager.shutdown();
    } finally {
      await cluster.cleanup();
    }
  });
});
