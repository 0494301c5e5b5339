import { createRedisClient, RedisClient } from '../../redis/redis-connection';
import { RedisServerHandle, spawnRedis, uniquePrefix } from '../../testing';
import { createEventBus } from '../create-event-bus';
import type { RedisStreamEventBusOptions } from '../event-bus-options';
import { Gate, waitFor } from '../testing/event-test-helpers';
import type { RedisStreamEventBus } from './redis-stream-bus';
import { StreamKeys } from './stream-keys';

// Entries a consumer read but handed to no handler (a `once` subscription that ended, an
// unsubscribe or a close with entries still buffered) give their delivery back (release.lua): a
// later subscription gets them as the delivery they would have been, not as a retry. The script's
// header is checked with every other script's in libs/queue/test/lua/lua-headers.spec.ts.

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

function streamBus(prefix: string, consumerName: string, extra: Partial<RedisStreamEventBusOptions> = {}): RedisStreamEventBus {
  const bus = createEventBus({ type: 'redis_stream', client, prefix, serviceName: 'svc', consumerName, claimIdleMs: 200, blockMs: 1000, ...extra });
  buses.push(bus);
  return bus;
}

/** The group's pending entries as [event data, delivery count], in stream order. */
async function pendingCounts(prefix: string, channel: string): Promise<Array<[number, number]>> {
  const stream = new StreamKeys(prefix, channel).stream;
  const pending = (await client.xpending(stream, 'svc', '-', '+', 100)) as Array<[string, string, number, number]>;
  const out: Array<[number, number]> = [];
  for (const [id, , , count] of pending) {
    const [[, fields]] = await client.xrange(stream, id, id);
    out.push([Number(JSON.parse(fields[fields.indexOf('data') + 1]) as number), count]);
  }
  return out;
}

async function settled(bus: RedisStreamEventBus, channel: string): Promise<void> {
  await waitFor(async () => (await bus.lag([channel])).find((g) => g.group === 'svc')?.pending === 0, 'everything acknowledged');
  expect(await bus.deadLetters(channel)).toEqual([]);
}

describe('RedisStreamEventBus: deliveries of entries no handler ran are given back', () => {
  it.each([
    ['the same bus', false],
    ['another bus of the service', true],
  ])('a `once` subscription leaves the rest of its read to the next subscription (on %s) as delivery 1', async (_, otherBus) => {
    const prefix = uniquePrefix('gb');
    const bus = streamBus(prefix, 'c1', { maxDeliveries: 1 });
    const seen: string[] = [];
    await bus.subscribe('once', (e, ctx) => void seen.push(`once:${String(e.data)}:d${ctx.deliveryCount}`), { once: true });
    await bus.publishBatch(
      'once',
      [1, 2, 3].map((n) => ({ type: 't', data: n })),
    );
    await waitFor(() => seen.length === 1, 'the once handler ran');
    // read by the once subscription, handed to no handler: count 1 given back
    await waitFor(async () => JSON.stringify(await pendingCounts(prefix, 'once')) === '[[2,0],[3,0]]', 'entries 2 and 3 given back');

    const next = otherBus ? streamBus(prefix, 'c2', { maxDeliveries: 1 }) : bus;
    await next.subscribe('once', (e, ctx) => void seen.push(`next:${String(e.data)}:d${ctx.deliveryCount}`));
    await waitFor(() => seen.length === 3, 'the next subscription got the other two');
    expect(seen).toEqual(['once:1:d1', 'next:2:d1', 'next:3:d1']);
    await settled(next, 'once');
  });

  it('an unsubscribe while entries wait in a busy buffer gives them back to the next subscription as delivery 1', async () => {
    const prefix = uniquePrefix('gb');
    const busy = new Gate();
    gates.push(busy);
    const bus = streamBus(prefix, 'c1', { maxDeliveries: 1, workers: 1, bufferSize: 2 });
    const seen: string[] = [];
    const sub = await bus.subscribe('busy', async (e, ctx) => {
      seen.push(`old:${String(e.data)}:d${ctx.deliveryCount}`);
      if (e.data === 1) await busy.promise;
    });
    await bus.publishBatch(
      'busy',
      [1, 2, 3].map((n) => ({ type: 't', data: n })),
    );
    await waitFor(() => seen.length === 1 && bus.stats().buffered === 2, 'one running, two buffered');
    await sub.unsubscribe();
    await bus.subscribe('busy', (e, ctx) => void seen.push(`new:${String(e.data)}:d${ctx.deliveryCount}`));
    busy.open();
    await waitFor(() => seen.length === 3, 'the new subscription got the buffered two');
    expect(seen).toEqual(['old:1:d1', 'new:2:d1', 'new:3:d1']);
    await settled(bus, 'busy');
  });

  it('a close gives back the entries of a read whose reply it cut (Redis gave them to the consumer, the bus never got them)', async () => {
    const prefix = uniquePrefix('gb');
    const bus = streamBus(prefix, 'c1', { claimIdleMs: 60_000 }); // its own claim must not take entry 2 first
    const seen: Array<[number, number]> = [];
    await bus.subscribe('cut', (e, ctx) => void seen.push([e.data as number, ctx.deliveryCount]));
    await bus.publish('cut', 't', 1);
    await waitFor(() => seen.length === 1, 'entry 1 handled');
    await settled(bus, 'cut');
    // the lost reply, made exact: entry 2 is added and read for consumer c1 in one transaction, so
    // the bus's blocked read gets nothing (the group has moved past it) and c1 holds it unreceived
    const stream = new StreamKeys(prefix, 'cut').stream;
    const [[, fields]] = await client.xrange(stream, '-', '+');
    const second = fields.map((f, i) => (fields[i - 1] === 'data' ? '2' : fields[i - 1] === 'id' ? 'second-event' : f));
    await client
      .multi()
      .xadd(stream, '*', ...second)
      .xreadgroup('GROUP', 'svc', 'c1', 'COUNT', 1, 'STREAMS', stream, '>')
      .exec();
    expect(await pendingCounts(prefix, 'cut')).toEqual([[2, 1]]);

    await bus.close({ drainTimeoutMs: 500 });
    expect(await pendingCounts(prefix, 'cut')).toEqual([[2, 0]]);
    // a peer's first claim takes it (its idle time is now the closed bus's claimIdleMs), as the delivery it would have been
    const peer = streamBus(prefix, 'c2');
    await peer.subscribe('cut', (e, ctx) => void seen.push([e.data as number, ctx.deliveryCount]));
    await waitFor(() => seen.length === 2, 'the peer got entry 2');
    expect(seen).toEqual([
      [1, 1],
      [2, 1],
    ]);
    await settled(peer, 'cut');
  });

  it('a close does not give back an entry whose handler failed: its delivery counts (it waits for its claim, as delivery 2)', async () => {
    const prefix = uniquePrefix('gb');
    const bus = streamBus(prefix, 'c1', { claimIdleMs: 60_000 });
    let runs = 0;
    await bus.subscribe('fails', () => {
      runs++;
      throw new Error('handler failed');
    });
    await bus.publish('fails', 't', 1);
    await waitFor(() => runs === 1, 'the handler ran and failed');
    await bus.close({ drainTimeoutMs: 500 });
    expect(await pendingCounts(prefix, 'fails')).toEqual([[1, 1]]);
  });

  it('a close gives back what its buffer discarded; the entry whose handler started is reclaimed as delivery 2', async () => {
    const prefix = uniquePrefix('gb');
    const stuck = new Gate();
    gates.push(stuck);
    const closing = streamBus(prefix, 'c1', { workers: 1, bufferSize: 2 });
    let started = 0;
    await closing.subscribe('closing', async () => {
      started++;
      await stuck.promise;
    });
    await closing.publishBatch(
      'closing',
      [1, 2, 3].map((n) => ({ type: 't', data: n })),
    );
    await waitFor(() => started === 1 && closing.stats().buffered === 2, 'one running, two buffered');
    const report = await closing.close({ drainTimeoutMs: 0 });
    expect(report.unfinished).toBe(3);
    expect(await pendingCounts(prefix, 'closing')).toEqual([
      [1, 1],
      [2, 0],
      [3, 0],
    ]);

    const peer = streamBus(prefix, 'c2');
    const seen: Array<[number, number]> = [];
    await peer.subscribe('closing', (e, ctx) => void seen.push([e.data as number, ctx.deliveryCount]));
    await waitFor(() => seen.length === 3, 'the peer reclaimed all three');
    expect(seen.sort((a, b) => a[0] - b[0])).toEqual([
      [1, 2],
      [2, 1],
      [3, 1],
    ]);
    await settled(peer, 'closing');
  });
});
