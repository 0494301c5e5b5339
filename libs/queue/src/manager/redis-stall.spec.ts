/**
 * The manager's Redis gauges while Redis is connected but does not answer (SIGSTOP: a stopped
 * process, a paused VM; a long script looks the same until Redis answers BUSY): the connection's
 * status stays `ready`, so only a PING at scrape time shows the stall.
 */
import type Redis from 'ioredis';
import { findRedisServerBinary, metricSample, RedisServerProcess, waitFor, quietLogger } from '../testing';
import { QueueManager } from './queue-manager';

/** The manager's three Redis series of its first command connection in one scrape. */
async function redisGauges(manager: QueueManager): Promise<{ up?: number; ping?: number; age?: number }> {
  const text = await manager.metrics!.metrics();
  const labels = { connection: 'commands-0' };
  return {
    up: metricSample(text, 'mq_redis_connection_up', labels),
    ping: metricSample(text, 'mq_redis_ping_seconds', labels),
    age: metricSample(text, 'mq_redis_last_reply_age_seconds', labels),
  };
}

/** PINGs the server has run since its stats were reset. */
async function pingCalls(admin: Redis): Promise<number> {
  return Number(/^cmdstat_ping:calls=(\d+)/m.exec(await admin.info('commandstats'))?.[1] ?? 0);
}

describe('QueueManager metrics: a stalled Redis (SIGSTOP)', () => {
  let server: RedisServerProcess;
  beforeAll(async () => {
    const binary = findRedisServerBinary();
    if (!binary) throw new Error('redis-server is not installed (Debian/Ubuntu: apt-get install redis-server): this test stops one with SIGSTOP');
    server = await RedisServerProcess.start(binary);
  });
  afterAll(() => server?.cleanup());

  /** A manager on the server, its scrapes bounded by 200 ms. */
  async function startManager(socketTimeoutMs: number): Promise<QueueManager> {
    const manager = await QueueManager.create(
      {
        redis: { url: server.url, socket_timeout_ms: socketTimeoutMs },
        event_bus: { enabled: false },
        task_scheduler: { enabled: false },
        health: { ping_timeout_ms: 200 },
        metrics: { default_metrics: false },
      },
      { env: {}, logger: quietLogger },
    );
    await manager.start();
    return manager;
  }

  it('a connection that stays ready but does not answer is down, its last reply ages, one PING waits; up again after SIGCONT', async () => {
    const admin = server.client();
    // socket timeout off: the connection stays `ready` however long Redis is silent
    const manager = await startManager(0);
    let frozen = false;
    try {
      const healthy = await waitFor(async () => {
        const g = await redisGauges(manager);
        return g.up === 1 && g;
      }, 'a PONG within the bound');
      expect(healthy.ping).toBeGreaterThanOrEqual(0);
      expect(healthy.ping).toBeLessThan(0.2);
      expect(healthy.age).toBeLessThan(0.2);

      await admin.config('RESETSTAT');
      await server.freeze();
      frozen = true;
      const first = await redisGauges(manager);
      expect(manager.redis!.states()).toEqual([{ connection: 'commands-0', status: 'ready' }]);
      expect(first.up).toBe(0);
      expect(first.ping).toBeUndefined(); // no round trip to show: no stale value either
      expect(first.age).toBeGreaterThanOrEqual(0.2);
      // it keeps aging, scrape after scrape, while the connection stays ready
      let stalledScrapes = 1;
      await waitFor(async () => {
        stalledScrapes++;
        const g = await redisGauges(manager);
        expect(g.up).toBe(0);
        return g.age! >= first.age! + 0.5;
      }, 'the last reply to age by 0.5 s');
      expect(stalledScrapes).toBeGreaterThanOrEqual(3);
      expect(manager.redis!.states()[0].status).toBe('ready');

      await server.thaw();
      frozen = false;
      let laterScrapes = 0;
      const back = await waitFor(async () => {
        laterScrapes++;
        const g = await redisGauges(manager);
        return g.up === 1 && g;
      }, 'the connection up again');
      expect(back.age).toBeLessThan(0.5); // the PONG came during that scrape
      expect(back.ping).toBeGreaterThanOrEqual(0);
      // the scrapes during the stall waited for one PING rather than each sending its own
      expect(await pingCalls(admin)).toBeLessThanOrEqual(1 + laterScrapes);
    } finally {
      if (frozen) await server.thaw();
      admin.disconnect();
      await manager.shutdown({ drainTimeoutMs: 200 });
    }
  });

  it('the stall stays visible when the socket timeout reconnects: the last reply ages across the reconnections', async () => {
    const manager = await startManager(300);
    let frozen = false;
    try {
      await waitFor(async () => (await redisGauges(manager)).up === 1, 'a PONG within the bound');
      await server.freeze();
      frozen = true;
      const reconnected = new Promise<void>((resolve) => manager.redis!.clients[0].once('reconnecting', () => resolve()));
      // the PING a scrape leaves waiting is the reply the socket timeout waits for
      expect((await redisGauges(manager)).up).toBe(0);
      await reconnected;
      const g = await waitFor(async () => {
        const s = await redisGauges(manager);
        expect(s.up).toBe(0);
        return s.age! >= 1 && s;
      }, 'the last reply to age past three socket timeouts');
      expect(g.ping).toBeUndefined();

      await server.thaw();
      frozen = false;
      const back = await waitFor(async () => {
        const s = await redisGauges(manager);
        return s.up === 1 && s;
      }, 'the connection up again');
      expect(back.age).toBeLessThan(0.5); // the PONG came during that scrape
    } finally {
      if (frozen) await server.thaw();
      await manager.shutdown({ drainTimeoutMs: 200 });
    }
  });
});
