/** createEventBus refuses a key the bus of its type does not take, naming its path and the keys it does take. */
import { QueueConfigError } from '../errors';
import { createRedisClient } from '../redis/redis-connection';
import { createEventBus } from './create-event-bus';
import type { EventBusOptions } from './event-bus-options';

describe('createEventBus unknown options', () => {
  const client = createRedisClient({ port: 1, connectTimeoutMs: 10 });
  client.on('error', () => undefined);
  afterAll(() => client.disconnect());

  it('refuses an unknown key of a local bus with QueueConfigError naming it and listing the options', () => {
    const create = () => createEventBus({ type: 'local', worker: 2 } as EventBusOptions);
    expect(create).toThrow(QueueConfigError);
    expect(create).toThrow(expect.objectContaining({ code: 'QUEUE_CONFIG', path: 'event_bus.worker', found: 'worker' }));
    expect(create).toThrow('event_bus.worker: expected a known option (serviceName, bufferSize, workers, bufferFullPolicy, logger, type), got "worker"');
  });

  const cases: Array<[string, object, string]> = [
    ['a pub/sub option on a local bus', { type: 'local', shardedPubSub: true }, 'event_bus.shardedPubSub'],
    ['a stream option on a pub/sub bus', { type: 'redis_pubsub', serviceName: 's', client, consumerName: 'c' }, 'event_bus.consumerName'],
    ['a misspelt stream option', { type: 'redis_stream', serviceName: 's', client, maxDelivery: 3 }, 'event_bus.maxDelivery'],
    ['a key of retention', { type: 'redis_stream', serviceName: 's', client, retention: { maxLength: 10 } }, 'event_bus.retention.maxLength'],
    [
      'a key of a channel retention',
      { type: 'redis_stream', serviceName: 's', client, retention: { channels: { ch: { maxAge: 1 } } } },
      'event_bus.retention.channels.ch.maxAge',
    ],
    ['a key of outbox', { type: 'redis_stream', serviceName: 's', client, outbox: { enable: false } }, 'event_bus.outbox.enable'],
  ];
  it.each(cases)('refuses %s', (_what, options, path) => {
    expect(() => createEventBus(options as EventBusOptions)).toThrow(QueueConfigError);
    expect(() => createEventBus(options as EventBusOptions)).toThrow(expect.objectContaining({ path }));
    expect(() => createEventBus(options as EventBusOptions)).toThrow(`${path}: expected a known option (`);
  });

  it('lists what a stream bus takes', () => {
    expect(() => createEventBus({ type: 'redis_stream', serviceName: 's', client, retention: { channels: { ch: { maxAge: 1 } } } } as EventBusOptions)).toThrow(
      'event_bus.retention.channels.ch.maxAge: expected a known option (maxLen, maxAgeMs), got "maxAge"',
    );
    expect(() => createEventBus({ type: 'redis_stream', serviceName: 's', client, retention: { maxLength: 10 } } as EventBusOptions)).toThrow(
      'event_bus.retention.maxLength: expected a known option (maxLen, maxAgeMs, channels), got "maxLength"',
    );
  });
});
