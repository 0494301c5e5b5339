import { QueueConfigError } from '../errors';
import { createRedisClient } from '../redis/redis-connection';
import { createEnvelope, decodeEnvelope, encodeEnvelope, envelopeToFields, fieldsToEnvelope, globToRegExp } from './cloud-event';
import { createEventBus } from './create-event-bus';
import type { EventBusOptions } from './event-bus-options';

describe('createEventBus options', () => {
  const client = createRedisClient({ port: 1, connectTimeoutMs: 10 });
  client.on('error', () => undefined);
  afterAll(() => client.disconnect());

  const cases: Array<[string, unknown, string]> = [
    ['type', { type: 'kafka' }, 'event_bus.type'],
    ['bufferSize', { type: 'local', bufferSize: 0 }, 'event_bus.bufferSize'],
    ['workers', { type: 'local', workers: 1.5 }, 'event_bus.workers'],
    ['policy', { type: 'local', bufferFullPolicy: 'block' }, 'event_bus.bufferFullPolicy'],
    ['serviceName', { type: 'redis_pubsub', client }, 'event_bus.serviceName'],
    ['client', { type: 'redis_stream', serviceName: 's' }, 'event_bus.client'],
    ['prefix', { type: 'redis_pubsub', serviceName: 's', client, prefix: 'a{b}' }, 'event_bus.prefix'],
    ['maxDeliveries', { type: 'redis_stream', serviceName: 's', client, maxDeliveries: 0 }, 'event_bus.maxDeliveries'],
    ['claimIdleMs', { type: 'redis_stream', serviceName: 's', client, claimIdleMs: -1 }, 'event_bus.claimIdleMs'],
    [
      'retention',
      { type: 'redis_stream', serviceName: 's', client, retention: { channels: { ch: { maxLen: -5 } } } },
      'event_bus.retention.channels.ch.maxLen',
    ],
    ['outbox', { type: 'redis_stream', serviceName: 's', client, outbox: { maxSize: 0 } }, 'event_bus.outbox.maxSize'],
    ['partitions', { type: 'redis_stream', serviceName: 's', client, partitions: 0 }, 'event_bus.partitions'],
    ['channelPartitions', { type: 'redis_stream', serviceName: 's', client, channelPartitions: { ch: 257 } }, 'event_bus.channelPartitions.ch'],
    ['shardedPubSub', { type: 'redis_pubsub', serviceName: 's', client, shardedPubSub: 'yes' }, 'event_bus.shardedPubSub'],
  ];
  it.each(cases)('rejects a bad %s with QueueConfigError naming the path', (_name, options, path) => {
    expect(() => createEventBus(options as EventBusOptions)).toThrow(QueueConfigError);
    expect(() => createEventBus(options as EventBusOptions)).toThrow(expect.objectContaining({ path }));
  });

  it('creates each type with defaults', async () => {
    const local = createEventBus({ type: 'local' });
    expect(local.type).toBe('local');
    await local.close();
  });
});

describe('CloudEvents envelope', () => {
  it('round-trips through structured JSON and stream fields', () => {
    const event = createEnvelope('meeting-service', 'meeting.started', { id: 'm1', n: [1, 2] });
    expect(decodeEnvelope(encodeEnvelope(event))).toEqual(event);
    expect(fieldsToEnvelope(envelopeToFields(event))).toEqual(event);
    expect(JSON.parse(encodeEnvelope(event))).toMatchObject({ specversion: '1.0', source: 'meeting-service', datacontenttype: 'application/json' });
    expect(decodeEnvelope('{"id":"x"}')).toBeNull();
    expect(fieldsToEnvelope(['data', 'not json'])).toBeNull();
  });

  it('matches globs like Redis PSUBSCRIBE', () => {
    expect(globToRegExp('meeting.*').test('meeting.a.b')).toBe(true);
    expect(globToRegExp('meeting.*').test('meetingXa')).toBe(false);
    expect(globToRegExp('m?dia_[ae]vents').test('media_events')).toBe(true);
    expect(globToRegExp('m[^e]x').test('mex')).toBe(false);
  });
});
