import { createRedisClient, RedisClient } from '../../redis/redis-connection';
import { RedisServerHandle, spawnRedis, uniquePrefix } from '../../testing';
import { createEventBus } from '../create-event-bus';
import { BatchTooLargeError, OutboxFullError } from '../../errors';
import { MAX_BATCH_CHARS } from '../../util/batch-size';
import { waitFor } from '../testing/event-test-helpers';
import type { RedisStreamEventBus } from './redis-stream-bus';

/** The backup producer: publishes while Redis is unreachable wait in a bounded outbox. */
describe('RedisStreamEventBus backup producer (outbox)', () => {
  let server: RedisServerHandle;
  const clients: RedisClient[] = [];
  const buses: RedisStreamEventBus[] = [];

  beforeAll(async () => {
    // Persistence on, as in production: the consumer group survives the restart.
    server = await spawnRedis({ aof: true });
  });

  afterEach(async () => {
    await server.restart(); // no-op when it runs
    await Promise.all(buses.splice(0).map((b) => b.close({ drainTimeoutMs: 500 })));
    clients.splice(0).forEach((c) => c.disconnect());
  });

  afterAll(async () => {
    await server?.cleanup();
  });

  function bus(serviceName: string, extra: { outboxSize?: number; prefix: string }): RedisStreamEventBus {
    const client = createRedisClient({ url: server.url });
    clients.push(client);
    // claimIdleMs long: these tests are about the outbox; a reclaim after a late renewal on a starved
    // machine would redeliver (at-least-once) and break their exact in-order checks.
    const b = createEventBus({
      type: 'redis_stream',
      client,
      prefix: extra.prefix,
      serviceName,
      consumerName: `${serviceName}-1`,
      claimIdleMs: 30_000,
      blockMs: 500,
      outbox: { maxSize: extra.outboxSize ?? 10_000 },
    });
    buses.push(b);
    return b;
  }

  async function stopRedis(): Promise<void> {
    await server.stop();
    await waitFor(() => clients.every((c) => c.status !== 'ready'), 'clients noticed Redis is gone');
  }

  it('stop Redis, publish 1,000 events, start Redis: all 1,000 arrive in order', async () => {
    const prefix = uniquePrefix('bk');
    const consumer = bus('listener', { prefix });
    const got: number[] = [];
    await consumer.subscribe('meeting_events', (e) => void got.push(e.data as number));
    const producer = bus('producer', { prefix });
    await producer.publish('meeting_events', 'tick', -1);
    await waitFor(() => got.length === 1, 'delivery before the outage');

    await stopRedis();
    const ids: string[] = [];
    for (let i = 0; i < 1000; i += 10) {
      ids.push(
        ...(await producer.publishBatch(
          'meeting_events',
          Array.from({ length: 10 }, (_, j) => ({ type: 'tick', data: i + j })),
        )),
      );
    }
    expect(ids).toHaveLength(1000);
    expect(producer.stats().outbox_size).toBe(1000);

    await server.restart();
    await waitFor(() => got.length === 1001, 'all 1000 delivered after the restart', 20_000);
    expect(got).toEqual([-1, ...Array.from({ length: 1000 }, (_, i) => i)]);
    // The consumer can read the last batch before the producer has handled the reply to its write
    // (two connections): the producer's counters follow once its outbox flush has finished.
    await waitFor(() => producer.stats().outbox_size === 0, 'the producer to finish its outbox flush');
    expect(producer.stats()).toMatchObject({ outbox_size: 0, total_published: 1001 });
  });

  it('a full outbox rejects clearly (all or nothing); close reports what it could not send', async () => {
    const prefix = uniquePrefix('bk');
    const producer = bus('producer', { prefix, outboxSize: 5 });
    await producer.publish('media_events', 'tick', 'warm-up');
    // Published before the client was connected, it waits in the outbox until the connection is ready.
    await waitFor(() => producer.stats().total_published === 1 && producer.stats().outbox_size === 0, 'the warm-up event written to Redis');
    await stopRedis();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await producer.publish('media_events', 'tick', i));
    const overflow = producer.publishBatch('media_events', [
      { type: 'tick', data: 'a' },
      { type: 'tick', data: 'b' },
    ]);
    await expect(overflow).rejects.toBeInstanceOf(OutboxFullError);
    await expect(overflow).rejects.toMatchObject({ code: 'OUTBOX_FULL', maxSize: 5 });
    await expect(overflow).rejects.toThrow(/full \(5 items/);
    ids.push(await producer.publish('media_events', 'tick', 4));
    await expect(producer.publish('media_events', 'tick', 5)).rejects.toBeInstanceOf(OutboxFullError);
    expect(producer.stats().outbox_size).toBe(5);

    const report = await producer.close({ drainTimeoutMs: 100 });
    expect(report.unsent.map((u) => u.event.id)).toEqual(ids);
    expect(report.unsent.map((u) => u.event.data)).toEqual([0, 1, 2, 3, 4]);
    expect(report.unsent.every((u) => u.channel === 'media_events')).toBe(true);
  });

  it('a batch over one command refuses whole with BatchTooLargeError, with Redis up and into the outbox while it is down', async () => {
    const prefix = uniquePrefix('bk');
    const producer = bus('producer', { prefix });
    await producer.publish('big_events', 'tick', 'warm-up');
    await waitFor(() => producer.stats().total_published === 1 && producer.stats().outbox_size === 0, 'the warm-up event written to Redis');
    const data = 'x'.repeat(90 * 1024 * 1024);
    const huge = () => [0, 1, 2].map(() => ({ type: 'tick', data }));
    const up = await producer.publishBatch('big_events', huge()).catch((e: unknown) => e);
    expect(up).toBeInstanceOf(BatchTooLargeError);
    expect(up).toMatchObject({ code: 'BATCH_TOO_LARGE', target: 'channel "big_events"', count: 3, limit: MAX_BATCH_CHARS });
    expect((up as Error).message).toContain('3 events are');
    expect(producer.stats()).toMatchObject({ total_published: 1, outbox_size: 0 });
    await stopRedis();
    await expect(producer.publishBatch('big_events', huge())).rejects.toBeInstanceOf(BatchTooLargeError);
    expect(producer.stats().outbox_size).toBe(0);
    const report = await producer.close({ drainTimeoutMs: 100 });
    expect(report.unsent).toEqual([]);
  });

  it('large events kept in the outbox are sent in script calls under the batch limit, all of them', async () => {
    // 100 events of 6 MB: 600 M characters in the outbox, over what one ioredis command string can
    // hold (and over the batch limit); sent as one flush batch, the flush failed for ever and later
    // events stayed behind it
    const own = await spawnRedis();
    const client = createRedisClient({ url: own.url });
    client.on('error', () => undefined);
    const prefix = uniquePrefix('bkl');
    const producer = createEventBus({ type: 'redis_stream', client, prefix, serviceName: 'producer' });
    try {
      await producer.publish('large', 'tick', 'warm-up');
      await waitFor(() => producer.stats().total_published === 1, 'the warm-up event written to Redis');
      await own.stop();
      await waitFor(() => client.status !== 'ready', 'client to notice');
      const data = 'x'.repeat(6_000_000);
      for (let i = 0; i < 100; i++) await producer.publish('large', 'tick', data);
      expect(producer.stats().outbox_size).toBe(100);
      await own.restart();
      await waitFor(() => producer.stats().outbox_size === 0, 'the outbox sent', 60_000);
      await producer.publish('large', 'tick', 'after');
      expect(producer.stats()).toMatchObject({ total_published: 102, outbox_size: 0 });
      // the warm-up went with the restart (no persistence on this server): the 100 and the one after
      expect(await client.xlen(`${prefix}:{large}:stream`)).toBe(101);
    } finally {
      await producer.close({ drainTimeoutMs: 100 });
      client.disconnect();
      await own.cleanup();
    }
  }, 90_000);

  it('once Redis is back the outbox is sent (at the latest by close) and nothing is reported unsent', async () => {
    const prefix = uniquePrefix('bk');
    const producer = bus('producer', { prefix });
    await producer.publish('ch', 'tick', 'warm-up');
    // Written before the stop: an append whose reply the stop cut off stays in the outbox and is sent again.
    await waitFor(() => producer.stats().total_published === 1 && producer.stats().outbox_size === 0, 'the warm-up event written to Redis');
    await stopRedis();
    await producer.publishBatch('ch', [
      { type: 'tick', data: 1 },
      { type: 'tick', data: 2 },
    ]);
    await server.restart();
    await waitFor(() => clients.every((c) => c.status === 'ready'), 'reconnected');
    const report = await producer.close();
    expect(report.unsent).toEqual([]);
    const admin = server.client();
    try {
      expect(await admin.xlen(`${prefix}:{ch}:stream`)).toBe(3);
    } finally {
      admin.disconnect();
    }
  });
});
