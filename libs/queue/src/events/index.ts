// Public API of the events concept: one EventBus interface, three implementations, the outbox.
export * from './event-bus';
export * from './event-errors';
export * from './event-bus-options';
export { createEventBus } from './create-event-bus';
export {
  createEnvelope,
  encodeEnvelope,
  decodeEnvelope,
  envelopeToFields,
  fieldsToEnvelope,
  globToRegExp,
  isGlobPattern,
  CHANNEL_NAME_PATTERN,
  EVENT_TYPE_PATTERN,
  ENVELOPE_FIELDS,
} from './cloud-event';
export { HandlerPool } from './handler-pool';
export type { HandlerPoolOptions, PoolJob } from './handler-pool';
export { Outbox } from '../util/outbox';
export { LocalEventBus } from './local/local-event-bus';
export type { LocalEventBusStats, EmitResult, EventKey, WildcardPattern } from './local/local-event-bus';
export { RedisPubSubEventBus } from './redis-pubsub/redis-pubsub-bus';
export { RedisStreamEventBus } from './redis-stream/redis-stream-bus';
export type { RedisStreamBusStats } from './redis-stream/redis-stream-bus';
export { StreamKeys } from './redis-stream/stream-keys';
export type { GroupLag, DeadLetterEvent } from './redis-stream/stream-info';
