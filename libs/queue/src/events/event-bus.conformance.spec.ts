import { InvalidOptionError } from '../errors';
import { createRedisClient, RedisClient } from '../redis/redis-connection';
import { RedisServerHandle, spawnRedis, spawnRedisCluster, TestRedisCluster, uniquePrefix } from '../testing';
import { createEventBus } from './create-event-bus';
import type { BufferFullPolicy, EventBus, EventEnvelope, EventBusType } from './event-bus';
import { EventBusClosedError, ShardedPatternError } from './event-errors';
import { Gate, waitFor } from './testing/event-test-helpers';

interface BusSettings {
  bufferSize?: number;
  workers?: number;
  bufferFullPolicy?: BufferFullPolicy;
}

interface Fixture {
  type: EventBusType;
  /** Pattern subscriptions work (sharded pub/sub refuses them with ShardedPatternError). */
  patterns: boolean;
  /**
   * Concurrent publishes arrive in publish order. Not so with classic PUBLISH on a Cluster: a
   * PUBLISH has no key, so each goes to any node and reaches the subscriber's node over the cluster bus.
   */
  ordered: boolean;
  /** The durable bus never drops: it leaves what does not fit in Redis. */
  durable: boolean;
  make(settings?: BusSettings): EventBus;
}

let server: RedisServerHandle;
let client: RedisClient;
let cluster: TestRedisCluster;
let clusterClient: RedisClient;
const buses: EventBus[] = [];

beforeAll(async () => {
  [server, cluster] = await Promise.all([spawnRedis(), spawnRedisCluster(3)]);
  client = createRedisClient({ url: server.url });
  clusterClient = createRedisClient({ clusterNodes: cluster.nodes.map((n) => ({ host: n.host, port: n.port })) });
}, 60_000);

afterEach(async () => {
  await Promise.all(buses.splice(0).map((bus) => bus.close({ drainTimeoutMs: 500 })));
});

afterAll(async () => {
  client?.disconnect();
  clusterClient?.disconnect();
  await Promise.all([server?.cleanup(), cluster?.cleanup()]);
});

function track<B extends EventBus>(bus: B): B {
  buses.push(bus);
  return bus;
}

const pubsub = (on: 'redis' | 'cluster', shardedPubSub: boolean): Fixture => ({
  type: 'redis_pubsub',
  durable: false,
  patterns: on === 'redis' || !shardedPubSub,
  ordered: on === 'redis' || shardedPubSub,
  make: (s = {}) =>
    track(
      createEventBus({
        type: 'redis_pubsub',
        client: on === 'redis' ? client : clusterClient,
        prefix: uniquePrefix('ps'),
        serviceName: 'svc',
        shardedPubSub,
        ...s,
      }),
    ),
});

/** With partitions, publishes without a partition key go to the partitions in turn: their order across partitions is not kept. */
const stream = (on: 'redis' | 'cluster', partitions = 1): Fixture => ({
  type: 'redis_stream',
  durable: true,
  patterns: true,
  ordered: partitions === 1,
  make: (s = {}) =>
    track(
      createEventBus({
        type: 'redis_stream',
        client: on === 'redis' ? client : clusterClient,
        prefix: uniquePrefix('st'),
        serviceName: 'svc',
        consumerName: 'c1',
        claimIdleMs: 200,
        maxDeliveries: 1,
        discoveryIntervalMs: 50,
        blockMs: 1000,
        partitions,
        ...s,
      }),
    ),
});

const fixtures: Array<Fixture & { name: string }> = [
  {
    name: 'local (memory)',
    type: 'local',
    durable: false,
    patterns: true,
    ordered: true,
    make: (s = {}) => track(createEventBus({ type: 'local', serviceName: 'svc', ...s })),
  },
  { name: 'redis_pubsub (Redis)', ...pubsub('redis', true) },
  { name: 'redis_pubsub (Cluster, sharded SPUBLISH)', ...pubsub('cluster', true) },
  { name: 'redis_pubsub (Cluster, classic PUBLISH)', ...pubsub('cluster', false) },
  { name: 'redis_stream (Redis)', ...stream('redis') },
  { name: 'redis_stream (Cluster)', ...stream('cluster') },
  { name: 'redis_stream (Cluster, 4 partitions)', ...stream('cluster', 4) },
];

describe.each(fixtures)('EventBus conformance: $name', (fixture) => {
  it('delivers each event to every handler of the channel, as a CloudEvents envelope', async () => {
    const bus = fixture.make();
    const a: EventEnvelope[] = [];
    const b: EventEnvelope[] = [];
    await bus.subscribe('meeting_events', (e) => void a.push(e));
    await bus.subscribe('meeting_events', (e) => void b.push(e));
    const id = await bus.publish('meeting_events', 'meeting.started', { meetingId: 'm1' });
    await waitFor(() => a.length === 1 && b.length === 1, 'both handlers called');
    expect(a[0]).toEqual({
      specversion: '1.0',
      id,
      source: 'svc',
      type: 'meeting.started',
      time: expect.any(String),
      datacontenttype: 'application/json',
      data: { meetingId: 'm1' },
    });
    expect(Number.isNaN(Date.parse(a[0].time))).toBe(false);
    expect(b[0].id).toBe(id);
  });

  it('matches glob patterns, and only the channels they cover (sharded pub/sub refuses them, typed)', async () => {
    const bus = fixture.make();
    if (!fixture.patterns) {
      await expect(bus.subscribe('meeting.*', () => undefined)).rejects.toBeInstanceOf(ShardedPatternError);
      expect(bus.stats().channel_count).toBe(0);
      return;
    }
    const seen: Array<[string, string | undefined]> = [];
    await bus.subscribe('meeting.*', (e, ctx) => void seen.push([ctx.channel, ctx.pattern]));
    const exact: string[] = [];
    await bus.subscribe('media.video', (e) => void exact.push(e.type));
    await bus.publish('meeting.room1', 't', 1);
    await bus.publish('media.video', 't', 2);
    await bus.publish('meeting.room2', 't', 3);
    await waitFor(() => seen.length === 2 && exact.length === 1, 'pattern and exact deliveries');
    expect(seen.sort()).toEqual([
      ['meeting.room1', 'meeting.*'],
      ['meeting.room2', 'meeting.*'],
    ]);
  });

  it('isolates a throwing handler: the others still run, the error is counted', async () => {
    const bus = fixture.make();
    const good: unknown[] = [];
    await bus.subscribe('ch', () => {
      throw new Error('boom');
    });
    await bus.subscribe('ch', async (e) => void good.push(e.data));
    await bus.publish('ch', 't', 1);
    await bus.publish('ch', 't', 2);
    await waitFor(() => good.length === 2 && bus.stats().handler_errors === 2, 'good handler ran twice, two errors counted');
    expect(good.sort()).toEqual([1, 2]);
  });

  it('runs at most `workers` events at once', async () => {
    const bus = fixture.make({ workers: 2, bufferSize: 10 });
    const gate = new Gate();
    let running = 0;
    let maxRunning = 0;
    let done = 0;
    await bus.subscribe('ch', async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await gate.promise;
      running--;
      done++;
    });
    await bus.publishBatch(
      'ch',
      Array.from({ length: 6 }, (_, i) => ({ type: 't', data: i })),
    );
    await waitFor(() => running === 2, 'two handlers running');
    expect(bus.stats().running).toBe(2);
    gate.open();
    await waitFor(() => done === 6, 'all six handled');
    expect(maxRunning).toBe(2);
  });

  it('buffer policy "drop": a full buffer drops and counts (the durable bus leaves events in Redis instead)', async () => {
    const bus = fixture.make({ workers: 1, bufferSize: 2, bufferFullPolicy: 'drop' });
    const gate = new Gate();
    const handled: number[] = [];
    await bus.subscribe('ch', async (e) => {
      await gate.promise;
      handled.push(e.data as number);
    });
    for (let i = 0; i < 10; i++) await bus.publish('ch', 't', i);
    if (fixture.durable) {
      await waitFor(() => bus.stats().running === 1 && bus.stats().buffered === 2, 'one running, two buffered');
      expect(bus.stats().buffered).toBeLessThanOrEqual(2);
      gate.open();
      await waitFor(() => handled.length === 10, 'all ten handled');
      expect(bus.stats().dropped).toBe(0);
    } else {
      await waitFor(() => bus.stats().dropped === 7, 'seven dropped');
      expect(bus.stats()).toMatchObject({ running: 1, buffered: 2 });
      gate.open();
      await waitFor(() => handled.length === 3, 'three handled');
      // the first three to arrive: the first three published where the bus keeps publish order
      if (fixture.ordered) expect(handled).toEqual([0, 1, 2]);
      else expect(new Set(handled).size).toBe(3);
    }
  });

  it('buffer policy "wait": nothing is dropped and the buffer stays bounded', async () => {
    const bus = fixture.make({ workers: 1, bufferSize: 5, bufferFullPolicy: 'wait' });
    const gate = new Gate();
    const handled: number[] = [];
    let maxBuffered = 0;
    await bus.subscribe('ch', async (e) => {
      maxBuffered = Math.max(maxBuffered, bus.stats().buffered);
      await gate.promise;
      handled.push(e.data as number);
    });
    const published = Promise.all(Array.from({ length: 10 }, (_, i) => bus.publish('ch', 't', i)));
    await waitFor(() => bus.stats().running === 1 && bus.stats().buffered >= 1, 'handler blocked with a backlog');
    maxBuffered = Math.max(maxBuffered, bus.stats().buffered);
    gate.open();
    await published;
    await waitFor(() => handled.length === 10, 'all ten handled');
    expect(bus.stats().dropped).toBe(0);
    expect(maxBuffered).toBeLessThanOrEqual(5);
    const inOrder = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    expect(fixture.ordered ? handled : [...handled].sort((a, b) => a - b)).toEqual(inOrder);
  });

  it('keeps stats under the seed names', async () => {
    const bus = fixture.make();
    const got: unknown[] = [];
    const sub = await bus.subscribe('a', (e) => void got.push(e.data));
    await bus.subscribe(fixture.patterns ? 'b.*' : 'b', () => undefined);
    expect(bus.stats().channel_count).toBe(2);
    await bus.publishBatch('a', [
      { type: 't', data: 1 },
      { type: 't', data: 2 },
    ]);
    await bus.publish('zzz', 't', 3);
    await waitFor(() => got.length === 2, 'two received');
    const stats = bus.stats();
    expect(stats).toMatchObject({ total_published: 3, total_received: 2, handler_errors: 0, dropped: 0, outbox_size: 0 });
    await sub.unsubscribe();
    expect(bus.stats().channel_count).toBe(1);
  });

  it('unsubscribe and once stop deliveries to that handler only', async () => {
    const bus = fixture.make();
    const removed: unknown[] = [];
    const once: unknown[] = [];
    const kept: unknown[] = [];
    const sub = await bus.subscribe('ch', (e) => void removed.push(e.data));
    await bus.subscribe('ch', (e) => void once.push(e.data), { once: true });
    await bus.subscribe('ch', (e) => void kept.push(e.data));
    await bus.publish('ch', 't', 1);
    await waitFor(() => kept.length === 1 && removed.length === 1 && once.length === 1, 'first event to all three');
    await sub.unsubscribe();
    await sub.unsubscribe();
    await bus.publish('ch', 't', 2);
    await waitFor(() => kept.length === 2, 'second event to the kept handler');
    expect(removed).toEqual([1]);
    expect(once).toEqual([1]);
  });

  it('publishBatch keeps order; bad input and a closed bus are rejected with typed errors', async () => {
    const bus = fixture.make({ workers: 1 });
    const seen: number[] = [];
    await bus.subscribe('ch', (e) => void seen.push(e.data as number));
    const ids = await bus.publishBatch(
      'ch',
      [1, 2, 3, 4, 5].map((n) => ({ type: 't', data: n })),
    );
    expect(new Set(ids).size).toBe(5);
    await waitFor(() => seen.length === 5, 'five received');
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    await expect(bus.publish('bad channel', 't', 1)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(bus.publish('ch', 'bad type!', 1)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(bus.publish('ch', 't', { n: BigInt(1) })).rejects.toBeInstanceOf(InvalidOptionError);
    // each error names the call made: publish, not the publishBatch it shares its checks with
    await expect(bus.publish('ch', '', 1)).rejects.toMatchObject({ path: 'publish.type' });
    await expect(bus.publish('ch', 't', { n: BigInt(1) })).rejects.toMatchObject({ path: 'publish.data.n' });
    await expect(bus.publish('ch', 't', 1, { partitionKey: '' })).rejects.toMatchObject({ path: 'publish.options.partitionKey' });
    await expect(bus.publishBatch('ch', [{ type: 't' }, { type: '' }])).rejects.toMatchObject({ path: 'publishBatch.events[1].type' });
    await expect(bus.subscribe('{x}', () => undefined)).rejects.toBeInstanceOf(InvalidOptionError);
    await bus.close();
    await expect(bus.publish('ch', 't', 1)).rejects.toBeInstanceOf(EventBusClosedError);
  });

  it('refuses unknown or bad options of subscribe, publish and publishBatch, naming them; nothing of the call is subscribed or sent', async () => {
    const bus = fixture.make({ workers: 1 });
    const handler = () => undefined;
    await expect(bus.subscribe('ch', handler, { onec: true } as never)).rejects.toMatchObject({
      path: 'subscribe.options.onec',
      expected: 'a known option (once)',
    });
    await expect(bus.subscribe('ch', handler, { once: 'yes' } as never)).rejects.toMatchObject({ path: 'subscribe.options.once', expected: 'true or false' });
    await expect(bus.subscribe('ch', handler, null as never)).rejects.toMatchObject({ path: 'subscribe.options' });
    await expect(bus.subscribe('ch', handler, 'once' as never)).rejects.toBeInstanceOf(InvalidOptionError);
    expect(bus.stats().channel_count).toBe(0);
    const seen: unknown[] = [];
    const once: unknown[] = [];
    await bus.subscribe('ch', (e) => void seen.push(e.data), undefined);
    await bus.subscribe('ch', (e) => void once.push(e.data), { once: true });
    await expect(bus.publish('ch', 't', 1, { partitonKey: 'k' } as never)).rejects.toMatchObject({
      path: 'publish.options.partitonKey',
      expected: 'a known option (partitionKey)',
    });
    for (const options of ['x', null, ['k']]) {
      await expect(bus.publish('ch', 't', 1, options as never)).rejects.toMatchObject({ path: 'publish.options', found: options });
    }
    const badBatch = [
      { type: 't', data: 2 },
      { type: 't', data: 3, prioirty: 'high' },
    ];
    await expect(bus.publishBatch('ch', badBatch)).rejects.toMatchObject({ path: 'publishBatch.events[1].prioirty', found: 'prioirty' });
    await expect(bus.publishBatch('ch', [{ type: 't' }, null as never])).rejects.toMatchObject({ path: 'publishBatch.events[1]' });
    await expect(bus.publishBatch('ch', [{ type: 't', partitionKey: '' }])).rejects.toMatchObject({ path: 'publishBatch.events[0].partitionKey' });
    await bus.publish('ch', 't', 'first', { partitionKey: 'k' });
    await bus.publishBatch('ch', [{ type: 't', data: 'second', partitionKey: 'k' }]);
    await waitFor(() => seen.length === 2 && once.length === 1, 'the good events');
    expect(seen).toEqual(['first', 'second']);
    expect(once).toEqual(['first']);
    expect(bus.stats().total_published).toBe(2);
  });

  it('refuses data JSON would change (NaN, Infinity, a Map or Set), naming the place in it; nothing of the call is sent', async () => {
    const bus = fixture.make({ workers: 1 });
    const seen: unknown[] = [];
    await bus.subscribe('ch', (e) => void seen.push(e.data));
    await expect(bus.publish('ch', 't', { stats: { avg: NaN } })).rejects.toMatchObject({
      path: 'publish.data.stats.avg',
      expected: 'a finite number (JSON writes NaN as null)',
    });
    await expect(bus.publish('ch', 't', [1, Infinity])).rejects.toMatchObject({ path: 'publish.data[1]' });
    await expect(bus.publish('ch', 't', new Map([['a', 1]]))).rejects.toMatchObject({
      path: 'publish.data',
      expected: 'a plain object or array (JSON writes a Map as {})',
    });
    await expect(
      bus.publishBatch('ch', [
        { type: 't', data: 1 },
        { type: 't', data: { seen: new Set([1]) } },
      ]),
    ).rejects.toMatchObject({
      path: 'publishBatch.events[1].data.seen',
      expected: 'a plain object or array (JSON writes a Set as {})',
    });
    await bus.publish('ch', 't', 'after');
    await waitFor(() => seen.length === 1, 'the good event');
    expect(seen).toEqual(['after']);
    expect(bus.stats().total_published).toBe(1);
  });
});
