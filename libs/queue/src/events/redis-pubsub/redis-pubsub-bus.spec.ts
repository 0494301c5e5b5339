import type Redis from 'ioredis';
import { createRedisClient, RedisClient } from '../../redis/redis-connection';
import { RedisServerHandle, spawnRedis, uniquePrefix } from '../../testing';
import { createEventBus } from '../create-event-bus';
import { encodeEnvelope } from '../cloud-event';
import { waitFor } from '../testing/event-test-helpers';
import type { RedisPubSubEventBus } from './redis-pubsub-bus';

let server: RedisServerHandle;
let client: RedisClient;
let admin: Redis;
let bus: RedisPubSubEventBus | undefined;

beforeAll(async () => {
  server = await spawnRedis();
  client = createRedisClient({ url: server.url });
  admin = server.client();
});

afterEach(async () => {
  await bus?.close({ drainTimeoutMs: 500 });
  bus = undefined;
});

afterAll(async () => {
  client?.disconnect();
  admin?.disconnect();
  await server?.cleanup();
});

/** Subscriptions Redis knows for the channel and pattern count (what the server sees, not the client). */
async function serverSubscriptions(channel: string): Promise<[number, number]> {
  const numsub = (await admin.pubsub('NUMSUB', channel)) as [string, number];
  const numpat = (await admin.pubsub('NUMPAT')) as unknown as number;
  return [Number(numsub[1]), Number(numpat)];
}

describe('RedisPubSubEventBus', () => {
  it('subscriptions made while its subscriber connection is still in its handshake are not refused (ioredis #2037, seen with 5.8.2)', async () => {
    // the first subscription creates the subscriber connection; the next ones come one event-loop
    // turn apart, so some land while its handshake (CLIENT SETINFO, INFO ready check) runs: sent then,
    // a SUBSCRIBE put the connection in subscriber mode first and the handshake failed
    // ("Connection in subscriber mode, only subscriber commands may be used")
    const prefix = uniquePrefix('hs');
    bus = createEventBus({ type: 'redis_pubsub', client, prefix, serviceName: 'svc' });
    const errors: string[] = [];
    const received = new Set<string>();
    const subscriptions: Array<Promise<unknown>> = [];
    for (let i = 0; i < 60; i++) {
      subscriptions.push(bus.subscribe(`ch${i}`, () => void received.add(`ch${i}`)).catch((e: Error) => void errors.push(e.message)));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(subscriptions);
    expect(errors).toEqual([]);
    for (let i = 0; i < 60; i++) await bus.publish(`ch${i}`, 'soak.tick', i);
    await waitFor(() => received.size === 60, 'an event on every channel');
  });

  it('resubscribes by itself after a Redis restart and delivery resumes', async () => {
    const prefix = uniquePrefix('ps');
    bus = createEventBus({ type: 'redis_pubsub', client, prefix, serviceName: 'svc' });
    const exact: unknown[] = [];
    const pattern: unknown[] = [];
    await bus.subscribe('meeting_events', (e) => void exact.push(e.data));
    await bus.subscribe('media.*', (e) => void pattern.push(e.data));
    await bus.publish('meeting_events', 'meeting.started', 'before');
    await bus.publish('media.audio', 'media.muted', 'before');
    await waitFor(() => exact.length === 1 && pattern.length === 1, 'delivery before the restart');

    await server.stop();
    await server.restart();
    await waitFor(async () => {
      try {
        const [subs, pats] = await serverSubscriptions(`${prefix}:meeting_events`);
        return subs === 1 && pats === 1;
      } catch {
        return false;
      }
    }, 'the subscriber connection subscribed again on the restarted server');

    await bus.publish('meeting_events', 'meeting.ended', 'after');
    await bus.publish('media.video', 'media.unmuted', 'after');
    await waitFor(() => exact.length === 2 && pattern.length === 2, 'delivery after the restart');
    expect(exact).toEqual(['before', 'after']);
    expect(pattern).toEqual(['before', 'after']);
  });

  it('resubscribes after its connection is dropped (CLIENT KILL)', async () => {
    const prefix = uniquePrefix('ps');
    bus = createEventBus({ type: 'redis_pubsub', client, prefix, serviceName: 'svc' });
    const got: unknown[] = [];
    await bus.subscribe('ch', (e) => void got.push(e.data));
    expect(await serverSubscriptions(`${prefix}:ch`)).toEqual([1, 0]);
    await admin.client('KILL', 'TYPE', 'pubsub');
    await waitFor(
      async () =>
        (await serverSubscriptions(`${prefix}:ch`))[0] === 1 &&
        ((await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string).trim().split('\n').filter(Boolean).length === 1,
      'subscribed again after the kill',
    );
    await bus.publish('ch', 't', 'after-kill');
    await waitFor(() => got.length === 1, 'delivery after the kill');
    expect(got).toEqual(['after-kill']);
  });

  it('leaves Redis channels when their last handler goes, and skips messages that are not CloudEvents', async () => {
    const prefix = uniquePrefix('ps');
    bus = createEventBus({ type: 'redis_pubsub', client, prefix, serviceName: 'svc' });
    const got: unknown[] = [];
    const a = await bus.subscribe('ch', (e) => void got.push(e.data));
    const b = await bus.subscribe('ch', () => undefined);
    await a.unsubscribe();
    expect((await serverSubscriptions(`${prefix}:ch`))[0]).toBe(1);
    await b.unsubscribe();
    expect((await serverSubscriptions(`${prefix}:ch`))[0]).toBe(0);

    await bus.subscribe('ch', (e) => void got.push(e.data));
    await admin.publish(`${prefix}:ch`, 'not json');
    await admin.publish(
      `${prefix}:ch`,
      encodeEnvelope({
        specversion: '1.0',
        id: 'x1',
        source: 'other-tool',
        type: 't',
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        data: 42,
      }),
    );
    await waitFor(() => got.length === 1, 'the valid envelope');
    expect(got).toEqual([42]);
    expect(bus.stats().invalid_events).toBe(1);
  });
});

describe('RedisPubSubEventBus buffer policy "wait"', () => {
  it('pauses reading while the buffer is full instead of dropping', async () => {
    const prefix = uniquePrefix('ps');
    bus = createEventBus({ type: 'redis_pubsub', client, prefix, serviceName: 'svc', workers: 1, bufferSize: 2, bufferFullPolicy: 'wait' });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handled: number[] = [];
    await bus.subscribe('ch', async (e) => {
      await gate;
      handled.push(e.data as number);
    });
    for (let i = 0; i < 30; i++) await bus.publish('ch', 't', i);
    await waitFor(() => bus!.stats().running === 1 && bus!.stats().buffered === 2, 'buffer full');
    expect(bus.stats().buffered).toBe(2);
    release();
    await waitFor(() => handled.length === 30, 'all thirty handled after the pause');
    expect(handled).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(bus.stats().dropped).toBe(0);
  });
});
