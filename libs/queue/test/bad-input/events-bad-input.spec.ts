/**
 * Bad input at the event buses (issue 13, "Bad input, everywhere"): a message on a subscribed pub/sub
 * channel that is not JSON or not an envelope, stream entries without the envelope fields, keys of
 * the wrong type, data JSON cannot hold. Each is counted and logged or dead-lettered with the reason;
 * the good events around it are delivered and the bus keeps running.
 */
import { createEventBus, InvalidOptionError, RedisKeyTypeError, RedisPubSubEventBus, RedisStreamEventBus } from '../../src';
import { uniquePrefix, useTestRedis } from '../../src/testing';
import { captureLogger } from '../support/capture-logger';
import { waitFor } from '../support/wait';

jest.setTimeout(60_000);

const redis = useTestRedis({ spawn: true });
const buses: Array<RedisPubSubEventBus | RedisStreamEventBus> = [];

afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close({ drainTimeoutMs: 500 })));
});

describe('pub/sub bus', () => {
  it('non-JSON and non-envelope messages on a subscribed channel are counted and logged; the events around them arrive', async () => {
    const prefix = uniquePrefix('ps');
    const logger = captureLogger();
    const bus = createEventBus({ type: 'redis_pubsub', client: redis.client, prefix, serviceName: 'svc', logger });
    buses.push(bus);
    const got: unknown[] = [];
    await bus.subscribe('room', (e) => void got.push(e.data));
    await bus.subscribe('room.*', (e) => void got.push(e.data));
    await bus.publish('room', 'before', 1);
    for (const raw of ['not json {', '{"specversion":"1.0"}', '42', 'null', '\u0000\u00ff']) {
      await redis.client.publish(`${prefix}:room`, raw);
      await redis.client.publish(`${prefix}:room.x`, raw);
    }
    await bus.publish('room', 'after', 2);
    await bus.publish('room.x', 'after', 3);
    await waitFor(() => got.length === 3 && bus.stats().invalid_events === 10, 'good events delivered, bad ones counted');
    expect(got).toEqual([1, 2, 3]);
    expect(logger.matching('is not a CloudEvents envelope')).toHaveLength(10);
    expect(logger.matching('"room"').length + logger.matching('"room.x"').length).toBe(10);
  });

  it('data JSON cannot hold is refused at publish with a typed error naming the field', async () => {
    const bus = createEventBus({ type: 'redis_pubsub', client: redis.client, prefix: uniquePrefix('ps'), serviceName: 'svc', logger: captureLogger() });
    buses.push(bus);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(bus.publish('room', 't', 10n)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(bus.publish('room', 't', circular)).rejects.toThrow(
      /^publish\.data\.self: expected a JSON-serialisable value \(a circular reference back to publish\.data\)/,
    );
    await expect(bus.publish('room', 't', { avg: NaN })).rejects.toThrow(/^publish\.data\.avg: expected a finite number \(JSON writes NaN as null\)/);
  });
});

describe('stream bus', () => {
  function streamBus(prefix: string, logger = captureLogger()): RedisStreamEventBus {
    const bus = createEventBus({
      type: 'redis_stream',
      client: redis.client,
      prefix,
      serviceName: 'svc',
      consumerName: 'c1',
      claimIdleMs: 500,
      blockMs: 200,
      logger,
    });
    buses.push(bus);
    return bus;
  }

  it('entries without the envelope fields are dead-lettered with the reason; the others are handled and acknowledged', async () => {
    const prefix = uniquePrefix('st');
    const bus = streamBus(prefix);
    const got: unknown[] = [];
    await bus.subscribe('calls', (e) => void got.push(e.data));
    const stream = `${prefix}:{calls}:stream`;
    await bus.publish('calls', 'ok', 'first');
    await redis.client.xadd(stream, '*', 'foo', 'bar');
    await redis.client.xadd(stream, '*', 'specversion', '1.0', 'id', 'x', 'source', 's', 'type', 't', 'time', 'now', 'data', '{not json');
    await redis.client.xadd(stream, '*', 'data', '1');
    await bus.publish('calls', 'ok', 'last');
    await waitFor(() => got.length === 2, 'the good events are handled');
    expect(got).toEqual(['first', 'last']);
    const dead = (await waitFor(async () => {
      const d = await bus.deadLetters('calls');
      return d.length === 3 ? d : undefined;
    }, 'three dead letters'))!;
    for (const d of dead) {
      expect(d.reason).toMatch(/^invalid_envelope: /);
      expect(d.event).toBeNull();
    }
    expect(dead.map((d) => d.fields).reverse()).toEqual([
      expect.objectContaining({ foo: 'bar' }),
      expect.objectContaining({ data: '{not json' }),
      expect.objectContaining({ data: '1' }),
    ]);
    await waitFor(async () => (await bus.lag(['calls'])).every((g) => g.pending === 0), 'nothing left pending');
    expect(bus.stats().invalid_events).toBe(3);
  });

  it('a channel stream of the wrong type: publish and subscribe fail with a typed error naming the key; other channels keep working', async () => {
    const prefix = uniquePrefix('st');
    const bus = streamBus(prefix);
    const key = `${prefix}:{broken}:stream`;
    await redis.client.set(key, 'a string, not a stream');
    const publishError = await bus.publish('broken', 't', 1).catch((e: unknown) => e);
    expect(publishError).toBeInstanceOf(RedisKeyTypeError);
    expect(publishError).toMatchObject({ key, found: 'string', expected: 'stream' });
    const subscribeError = await bus.subscribe('broken', () => undefined).catch((e: unknown) => e);
    expect(subscribeError).toBeInstanceOf(RedisKeyTypeError);
    expect(subscribeError).toMatchObject({ key, expected: 'stream' });
    const got: unknown[] = [];
    await bus.subscribe('fine', (e) => void got.push(e.data));
    await bus.publish('fine', 't', 'still works');
    await waitFor(() => got.length === 1, 'the other channel works');
  });

  it('a dead-letter stream of the wrong type: the bad entry stays pending, is logged with the key, the good ones flow; after repair it is dead-lettered', async () => {
    const prefix = uniquePrefix('st');
    const logger = captureLogger();
    const bus = streamBus(prefix, logger);
    const got: unknown[] = [];
    await bus.subscribe('calls', (e) => void got.push(e.data));
    const deadKey = `${prefix}:{calls}:dead`;
    await redis.client.set(deadKey, 'not a stream');
    await redis.client.xadd(`${prefix}:{calls}:stream`, '*', 'garbage', '1');
    await bus.publish('calls', 'ok', 'good');
    await waitFor(() => got.length === 1 && logger.matching(deadKey).length > 0, 'good event handled, broken dead-letter key named');
    await redis.client.del(deadKey);
    await waitFor(async () => (await bus.deadLetters('calls')).length === 1, 'dead-lettered once the key is repaired', 20_000);
    await waitFor(async () => (await bus.lag(['calls'])).every((g) => g.pending === 0), 'nothing left pending', 20_000);
  });
});
