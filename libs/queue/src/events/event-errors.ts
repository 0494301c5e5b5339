import { QueueError } from '../errors';

/**
 * Typed errors of the event buses. They extend {@link QueueError}, so `code` is stable and
 * machine-readable.
 */

/** The bus was closed; it publishes and subscribes no more. */
export class EventBusClosedError extends QueueError {
  constructor(readonly busType: string) {
    super(`event bus (${busType}) is closed`, 'EVENT_BUS_CLOSED');
  }
}

/**
 * A pattern subscription on a `redis_pubsub` bus that publishes with sharded pub/sub (a Redis
 * Cluster with `shardedPubSub` on, the default): Redis has no sharded PSUBSCRIBE, and an SPUBLISHed
 * event never reaches a PSUBSCRIBE. Subscribe to the channels themselves, or turn `shardedPubSub`
 * off (config `event_bus.sharded_pubsub: false`) on every service to keep classic PUBLISH/PSUBSCRIBE.
 */
export class ShardedPatternError extends QueueError {
  constructor(readonly pattern: string) {
    super(
      `cannot subscribe to the pattern "${pattern}": this redis_pubsub bus publishes with sharded pub/sub (SPUBLISH) on a Redis Cluster, ` +
        'which has no pattern subscriptions; subscribe to each channel, or set event_bus.sharded_pubsub: false (option shardedPubSub) on every service',
      'SHARDED_PATTERN',
    );
  }
}
