import type { EventBus } from './event-bus';
import {
  EventBusOptions,
  LocalEventBusOptions,
  RedisPubSubEventBusOptions,
  RedisStreamEventBusOptions,
  resolveCommonOptions,
  resolveConnection,
  resolveSharded,
  resolveStreamOptions,
} from './event-bus-options';
import { LocalEventBus } from './local/local-event-bus';
import { RedisPubSubEventBus } from './redis-pubsub/redis-pubsub-bus';
import { RedisStreamEventBus } from './redis-stream/redis-stream-bus';

/**
 * Creates the event bus chosen by `type` (seed config `event_bus.type`):
 * - `local`: in-process, typed with an event map `E` ({@link LocalEventBus});
 * - `redis_pubsub`: broadcast, at-most-once ({@link RedisPubSubEventBus});
 * - `redis_stream`: durable, at-least-once, consumer group per service, backup outbox ({@link RedisStreamEventBus}).
 *
 * Defaults: bufferSize 1000, workers 4, bufferFullPolicy `wait`, prefix `mq:ev` (the
 * prefix QueueManager uses with the default `redis.key_prefix`, see {@link eventBusPrefix}); see {@link EventBusOptions}.
 * The Redis `client` is shared and stays open when the bus closes.
 * @throws QueueConfigError naming the invalid option (path `event_bus.<option>`).
 */
export function createEventBus<E extends object = Record<string, unknown>>(options: LocalEventBusOptions): LocalEventBus<E>;
export function createEventBus(options: RedisPubSubEventBusOptions): RedisPubSubEventBus;
export function createEventBus(options: RedisStreamEventBusOptions): RedisStreamEventBus;
export function createEventBus(options: EventBusOptions): EventBus;
export function createEventBus(options: EventBusOptions): EventBus {
  const common = { ...resolveCommonOptions(options), logger: options.logger };
  if (options.type === 'local') return new LocalEventBus(common);
  const connection = resolveConnection(options);
  if (options.type === 'redis_pubsub') return new RedisPubSubEventBus({ ...common, ...connection, sharded: resolveSharded(options, connection.client) });
  return new RedisStreamEventBus({ ...common, ...connection, ...resolveStreamOptions(options) });
}
