import { createRedisClient, RedisClient } from '../../redis/redis-connection';
import { RedisServerHandle, spawnRedis, uniquePrefix } from '../../testing';
import { createEnvelope, envelopeToFields } from '../cloud-event';
import { createEventBus } from '../create-event-bus';
import type { RedisStreamEventBusOptions } from '../event-bus-options';
import { Gate, sleep, waitFor } from '../testing/event-test-helpers';
import type { RedisStreamEventBus } from './redis-stream-bus';
import { StreamKeys } from './stream-keys';

let server: RedisServerHandle;
let client: RedisClient;
const buses: RedisStreamEventBus[] = [];
const gates: Gate[] = [];

beforeAll(async () => {
  server = await spawnRedis();
  client = createRedisClient({ url: server.url });
});

afterEach(async () => {
  gates.splice(0).forEach((g) => g.open());
  await Promise.all(buses.splice(0).map((bus) => bus.close({ drainTimeoutMs: 500 })));
});

afterAll(async () => {
  client?.disconnect();
  await server?.cleanup();
});

function streamBus(prefix: string, serviceName: string, consumerName: string, extra: Partial<RedisStreamEventBusOptions> = {}): RedisStreamEventBus {
  const bus = createEventBus({ type: 'redis_stream', client, prefix, serviceName, consumerName, claimIdleMs: 200, blockMs: 1000, ...extra });
  buses.push(bus);
  return bus;
}

describe('RedisStreamEventBus', () => {
  it('two services x two replicas: each service gets every event once, replicas share the work', async () => {
    const prefix = uniquePrefix('st');
    const received: Record<string, number[]> = { a1: [], a2: [], b1: [], b2: [] };
    for (const name of Object.keys(received)) {
      // claimIdleMs long: on a starved machine a 200 ms idle time lets a peer reclaim an entry whose
      // renewal was late, a legitimate redelivery (at-least-once) this test is not about.
      const bus = streamBus(prefix, `svc-${name[0]}`, name, { readCount: 5, workers: 2, bufferSize: 5, claimIdleMs: 30_000 });
      await bus.subscribe('meeting_events', async (e) => {
        received[name].push(e.data as number);
        await sleep(2);
      });
    }
    const producer = streamBus(prefix, 'producer', 'p1');
    for (let i = 0; i < 200; i += 20) {
      await producer.publishBatch(
        'meeting_events',
        Array.from({ length: 20 }, (_, j) => ({ type: 'meeting.tick', data: i + j })),
      );
    }
    const all = Array.from({ length: 200 }, (_, i) => i);
    await waitFor(() => received.a1.length + received.a2.length >= 200 && received.b1.length + received.b2.length >= 200, 'both services got 200');
    await waitFor(async () => (await producer.lag(['meeting_events'])).every((g) => g.pending === 0), 'everything acknowledged');
    for (const svc of ['a', 'b']) {
      const got = [...received[`${svc}1`], ...received[`${svc}2`]].sort((x, y) => x - y);
      expect(got).toEqual(all);
      expect(received[`${svc}1`].length).toBeGreaterThan(0);
      expect(received[`${svc}2`].length).toBeGreaterThan(0);
    }
  });

  it('a service stopped while 1,000 events are published receives all of them, in order, when it comes back', async () => {
    const prefix = uniquePrefix('st');
    const first: number[] = [];
    const before = streamBus(prefix, 'recorder', 'r1');
    await before.subscribe('media_events', (e) => void first.push(e.data as number));
    const producer = streamBus(prefix, 'producer', 'p1');
    await producer.publish('media_events', 'media.tick', -1);
    await waitFor(() => first.length === 1, 'first event before the stop');
    await before.close();

    for (let i = 0; i < 1000; i += 100) {
      await producer.publishBatch(
        'media_events',
        Array.from({ length: 100 }, (_, j) => ({ type: 'media.tick', data: i + j })),
      );
    }
    const lag = (await producer.lag(['media_events'])).find((g) => g.group === 'recorder');
    expect(lag).toMatchObject({ channel: 'media_events', group: 'recorder', lag: 1000, pending: 0 });

    const after: number[] = [];
    // claimIdleMs long: a reclaim after a late renewal on a starved machine redelivers (at-least-once),
    // which is not what this test is about.
    const again = streamBus(prefix, 'recorder', 'r1', { workers: 1, claimIdleMs: 30_000 });
    await again.subscribe('media_events', (e) => void after.push(e.data as number));
    await waitFor(() => after.length === 1000, '1000 events after the restart');
    expect(after).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    await waitFor(async () => {
      const g = (await producer.lag(['media_events'])).find((x) => x.group === 'recorder');
      return g?.lag === 0 && g.pending === 0;
    }, 'no lag, nothing pending');
  });

  it('retries a failing handler up to maxDeliveries, then dead-letters the event with the reason', async () => {
    const prefix = uniquePrefix('st');
    const bus = streamBus(prefix, 'svc', 'c1', { maxDeliveries: 3 });
    const deliveries: number[] = [];
    await bus.subscribe('jobs', (e, ctx) => {
      if (e.data === 'poison') {
        deliveries.push(ctx.deliveryCount);
        throw new Error('cannot handle poison');
      }
    });
    const id = await bus.publish('jobs', 'job.created', 'poison');
    await waitFor(async () => (await bus.deadLetters('jobs')).length === 1, 'one dead letter');
    const [dead] = await bus.deadLetters('jobs');
    expect(deliveries).toEqual([1, 2, 3]);
    expect(dead).toMatchObject({ group: 'svc', deliveries: 3, event: { id, type: 'job.created', data: 'poison' } });
    expect(dead.reason).toMatch(/^handler_error: failed on delivery 3 of 3: cannot handle poison/);
    expect(bus.stats()).toMatchObject({ handler_errors: 3, dead_lettered: 1 });
    const [lag] = await bus.lag(['jobs']);
    expect(lag.pending).toBe(0);
    await sleep(500);
    expect(deliveries).toEqual([1, 2, 3]);
  });

  it('a consumer killed with events pending has them reclaimed by its peer', async () => {
    const prefix = uniquePrefix('st');
    const stuck = new Gate();
    gates.push(stuck);
    const dying = streamBus(prefix, 'svc', 'dying', { workers: 5 });
    let started = 0;
    await dying.subscribe('tasks', async () => {
      started++;
      await stuck.promise;
    });
    const producer = streamBus(prefix, 'producer', 'p1');
    await producer.publishBatch(
      'tasks',
      [1, 2, 3, 4, 5].map((n) => ({ type: 'task', data: n })),
    );
    await waitFor(() => started === 5, 'dying consumer holds five entries');
    const report = await dying.close({ drainTimeoutMs: 0 });
    expect(report.unfinished).toBe(5);
    expect((await producer.lag(['tasks'])).find((g) => g.group === 'svc')?.pending).toBe(5);

    const peer = streamBus(prefix, 'svc', 'peer');
    const reclaimed: Array<[number, number]> = [];
    await peer.subscribe('tasks', (e, ctx) => void reclaimed.push([e.data as number, ctx.deliveryCount]));
    await waitFor(() => reclaimed.length === 5, 'peer reclaimed five entries');
    expect(reclaimed.sort()).toEqual([
      [1, 2],
      [2, 2],
      [3, 2],
      [4, 2],
      [5, 2],
    ]);
    await waitFor(async () => (await producer.lag(['tasks'])).find((g) => g.group === 'svc')?.pending === 0, 'acknowledged by the peer');
  });

  it('a handler still running is not reclaimed by a peer (its entry is renewed)', async () => {
    const prefix = uniquePrefix('st');
    const slow = new Gate();
    gates.push(slow);
    const calls: string[] = [];
    // Renewal every claimIdleMs / 2 must beat the peer's claim: 1 s leaves room for a starved event
    // loop (200 ms did not on a loaded 2-core machine).
    const claimIdleMs = 1000;
    // Both handlers hold the entry: which replica reads it first is not fixed (on a busy machine
    // either XREADGROUP may be the first one waiting).
    for (const name of ['a', 'b']) {
      await streamBus(prefix, 'svc', name, { claimIdleMs }).subscribe('slow', async () => {
        calls.push(name);
        await slow.promise;
      });
    }
    const producer = streamBus(prefix, 'producer', 'p1');
    await producer.publish('slow', 'task', 1);
    await waitFor(() => calls.length === 1, 'one consumer took it');
    const owner = calls[0];
    await sleep(2.5 * claimIdleMs); // the peer ran several claim rounds with the entry held past claimIdleMs
    expect(calls).toEqual([owner]);
    const pending = (await client.xpending(new StreamKeys(prefix, 'slow').stream, 'svc', '-', '+', 10)) as Array<[string, string, number, number]>;
    expect(pending.map(([, consumer, , count]) => [consumer, count])).toEqual([[owner, 1]]);
    slow.open();
    await waitFor(async () => (await producer.lag(['slow'])).find((g) => g.group === 'svc')?.pending === 0, 'acknowledged');
  });

  it('applies retention per channel: approximate max length, and max age', async () => {
    const prefix = uniquePrefix('st');
    const bus = streamBus(prefix, 'svc', 'c1', { retention: { maxLen: 0, maxAgeMs: 0, channels: { short: { maxLen: 100 }, young: { maxAgeMs: 50 } } } });
    const batch = Array.from({ length: 100 }, (_, i) => ({ type: 't', data: i }));
    for (let i = 0; i < 10; i++) {
      await bus.publishBatch('short', batch);
      await bus.publishBatch('long', batch);
    }
    for (let i = 0; i < 3; i++) await bus.publishBatch('young', batch);
    await sleep(100);
    await bus.publish('young', 't', 'last');
    const xlen = (channel: string) => client.xlen(new StreamKeys(prefix, channel).stream);
    expect(await xlen('long')).toBe(1000);
    expect(await xlen('short')).toBeGreaterThanOrEqual(100);
    expect(await xlen('short')).toBeLessThan(300);
    expect(await xlen('young')).toBeLessThan(301);
    expect(await xlen('young')).toBeGreaterThanOrEqual(1);
  });

  it('closes promptly while the buffer is full, leaving unhandled entries pending for the group', async () => {
    const prefix = uniquePrefix('st');
    const stuck = new Gate();
    gates.push(stuck);
    const bus = streamBus(prefix, 'svc', 'c1', { workers: 1, bufferSize: 1, readCount: 1 });
    let started = 0;
    await bus.subscribe('busy', async () => {
      started++;
      await stuck.promise;
    });
    await bus.publishBatch(
      'busy',
      Array.from({ length: 5 }, (_, i) => ({ type: 't', data: i })),
    );
    await waitFor(() => started === 1 && bus.stats().buffered === 1, 'one running, one buffered');
    const report = await bus.close({ drainTimeoutMs: 50 });
    expect(report.unfinished).toBe(2);
    const [lag] = await streamBus(prefix, 'observer', 'o1').lag(['busy']);
    // Only what fit in the buffer was read (1 running + 1 buffered); the rest was never delivered.
    expect(lag).toMatchObject({ group: 'svc', pending: 2, lag: 3 });
  });

  it('creates its group again from the start of the stream when the group vanished', async () => {
    const prefix = uniquePrefix('st');
    const bus = streamBus(prefix, 'svc', 'c1');
    const got: string[] = [];
    await bus.subscribe('ch', (e) => void got.push(e.data as string));
    await bus.publish('ch', 't', 'a');
    await waitFor(() => got.length === 1, 'first event');
    await client.xgroup('DESTROY', new StreamKeys(prefix, 'ch').stream, 'svc');
    await bus.publish('ch', 't', 'b');
    await waitFor(() => got.includes('b'), 'event after the group was destroyed');
    // Recreated from the start of the retained stream: at-least-once, so "a" comes again.
    expect(got).toEqual(['a', 'a', 'b']);
  });

  it('moves an entry that is not a CloudEvents envelope to the dead-letter stream', async () => {
    const prefix = uniquePrefix('st');
    const bus = streamBus(prefix, 'svc', 'c1');
    const got: unknown[] = [];
    await bus.subscribe('ch', (e) => void got.push(e.data));
    await client.xadd(new StreamKeys(prefix, 'ch').stream, '*', 'hello', 'world');
    await bus.publish('ch', 't', 'valid');
    await waitFor(() => got.length === 1, 'the valid event');
    await waitFor(async () => (await bus.deadLetters('ch')).length === 1, 'the invalid entry dead-lettered');
    const [dead] = await bus.deadLetters('ch');
    expect(dead).toMatchObject({ group: 'svc', event: null, fields: { hello: 'world' } });
    expect(dead.reason).toMatch(/^invalid_envelope/);
    expect(bus.stats()).toMatchObject({ invalid_events: 1, dead_lettered: 1 });
  });

  it('reads a channel found through a pattern from the millisecond the pattern subscription started, that millisecond included', async () => {
    const prefix = uniquePrefix('st');
    const bus = streamBus(prefix, 'svc', 'c1', { discoveryIntervalMs: 50 });
    const [seconds] = await client.time();
    const at = Number(seconds) * 1000; // the subscription's millisecond, as the bus reads it from TIME
    const time = jest.spyOn(client, 'time').mockResolvedValueOnce([Number(seconds), 0]);
    const seen: unknown[] = [];
    await bus.subscribe('meeting.*', (e) => void seen.push(e.data));
    time.mockRestore();
    // Entries with explicit ids, as XADD * gives them: one in the previous millisecond (before the
    // subscription: not delivered), one in the same millisecond (published right after subscribe
    // resolved: delivered), one later.
    const stream = new StreamKeys(prefix, 'meeting.room').stream;
    const fields = (data: string) => envelopeToFields(createEnvelope('test', 't', data));
    await client.xadd(stream, `${at - 1}-3`, ...fields('before'));
    await client.xadd(stream, `${at}-0`, ...fields('same millisecond'));
    await client.xadd(stream, `${at + 5}-0`, ...fields('after'));
    await client.sadd(StreamKeys.registry(prefix), 'meeting.room');
    await waitFor(
      async () => (await bus.lag(['meeting.room'])).some((g) => g.pending === 0 && g.lastDeliveredId === `${at + 5}-0`),
      'the group to read and acknowledge the channel up to the last entry',
    );
    expect(seen).toEqual(['same millisecond', 'after']);
  });

  it('lag and deadLetters refuse arguments they cannot use with InvalidOptionError naming them; good ones still answer', async () => {
    const prefix = uniquePrefix('st');
    const bus = streamBus(prefix, 'svc', 'c1', { maxDeliveries: 1 });
    await bus.subscribe('orders', () => {
      throw new Error('no');
    });
    await bus.publish('orders', 't', 1);
    await waitFor(async () => (await bus.deadLetters('orders', 5)).length === 1, 'the failed event dead-lettered (maxDeliveries 1)');
    const refused = (call: Promise<unknown>, path: string) => expect(call).rejects.toMatchObject({ code: 'INVALID_OPTION', path });
    await refused(bus.lag('orders' as never), 'lag.channels');
    await refused(bus.lag([42] as never), 'lag.channels[0]');
    await refused(bus.lag(['orders', 'ord ers']), 'lag.channels[1]');
    for (const count of [NaN, 1.5, -1, 0, '5']) await refused(bus.deadLetters('orders', count as never), 'deadLetters.count');
    for (const channel of ['ord ers', undefined, '', 'a*']) await refused(bus.deadLetters(channel as never), 'deadLetters.channel');
    expect(await bus.lag(['orders'])).toEqual([expect.objectContaining({ channel: 'orders', group: 'svc' })]);
    expect(await bus.deadLetters('orders', undefined)).toHaveLength(1);
  });

  it('keeps stream and dead-letter keys of a channel under one hash tag', () => {
    const keys = new StreamKeys('ev', 'meeting_events');
    expect(keys.stream).toBe('ev:{meeting_events}:stream');
    expect(keys.dead).toBe('ev:{meeting_events}:dead');
  });
});
