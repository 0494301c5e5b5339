/**
 * Public types of the event buses. One interface ({@link EventBus}) with three implementations,
 * chosen by `event_bus.type`: `redis_pubsub` (broadcast, at-most-once), `redis_stream` (durable,
 * at-least-once, consumer group per service) and `local` (in-process, typed). See `docs/events.md`.
 */

/**
 * An event as it travels: the CloudEvents 1.0 attribute names (structured JSON mode), so other
 * tools can read it. `source` is the publishing service, `data` any JSON value.
 */
export interface EventEnvelope<T = unknown> {
  specversion: '1.0';
  /** Unique per event (a UUID); logged when a handler fails. */
  id: string;
  /** The publishing service (`serviceName` of the bus). */
  source: string;
  /** Event type, e.g. `meeting.started`. */
  type: string;
  /** Publish time, RFC 3339. */
  time: string;
  /** Always `application/json`. */
  datacontenttype: 'application/json';
  data: T;
  /** CloudEvents distributed-tracing extension: W3C `traceparent` of the publish, present only when it ran inside a span. */
  traceparent?: string;
  /** CloudEvents distributed-tracing extension: W3C `tracestate`, when the publishing span had one. */
  tracestate?: string;
}

/** Second argument of a handler. */
export interface EventContext {
  /** The channel the event was published to. */
  channel: string;
  /** The pattern that matched, for a pattern subscription. */
  pattern?: string;
  /** 1 on the first delivery; higher when a durable bus delivers it again (redis_stream only). */
  deliveryCount: number;
  /** Stream entry id (redis_stream only). */
  streamId?: string;
}

/**
 * Handles one event. Throwing (or rejecting) is isolated: the other handlers still run, the error
 * is counted in `handler_errors` and logged with the event id. On `redis_stream` the event is then
 * delivered again after `claimIdleMs`, up to `maxDeliveries` times.
 */
export type EventHandler<T = unknown> = (event: EventEnvelope<T>, context: EventContext) => unknown;

export interface EventSubscribeOptions {
  /** Remove the subscription after its first event (default false). */
  once?: boolean;
}

/** What `subscribe` returns. */
export interface EventSubscription {
  /** The channel or pattern subscribed to. */
  readonly channel: string;
  readonly isPattern: boolean;
  /** Removes this handler; the bus leaves the Redis channel when its last handler goes. Safe to call twice. */
  unsubscribe(): Promise<void>;
}

/** Options of one `publish`. */
export interface EventPublishOptions {
  /** See {@link EventInput.partitionKey}. */
  partitionKey?: string;
}

/** One event of a `publishBatch`. */
export interface EventInput<T = unknown> {
  type: string;
  data?: T;
  /**
   * `redis_stream` with `partitions` > 1: picks the channel's partition (a hash of the key), so the
   * events of one key stay in order; without it a batch goes to the next partition in turn. Not
   * delivered with the event; ignored by the other buses. 1..200 characters.
   */
  partitionKey?: string;
}

/**
 * What happens when the handler buffer (`bufferSize`) is full:
 * - `wait` (default): the producer waits for space. On `redis_pubsub` reading from the socket pauses
 *   (Redis keeps the backlog up to its pub/sub output-buffer limit); `emit` on the local bus returns
 *   a promise that resolves when the event is buffered. At most `bufferSize` producers can wait;
 *   beyond that, events are dropped and counted, so nothing grows without bound.
 * - `drop`: the event is dropped at once and counted in `dropped`.
 * The durable bus (`redis_stream`) never drops: it reads only what fits, the rest stays in Redis.
 */
export type BufferFullPolicy = 'wait' | 'drop';

/** Counters of one bus instance (this process), under the seed's names. */
export interface EventBusStats {
  /** Events this bus published (for `redis_stream`, including those sent later from the outbox). */
  total_published: number;
  /** Events received from the transport for at least one handler. */
  total_received: number;
  /** Channels and patterns with at least one handler. */
  channel_count: number;
  /** Handler invocations that threw or rejected. */
  handler_errors: number;
  /** Events dropped because the buffer was full (policy `drop`, or too many waiting producers). */
  dropped: number;
  /** Events received that were not valid CloudEvents envelopes (logged, skipped or dead-lettered). */
  invalid_events: number;
  /** Events waiting in the backup producer's outbox (redis_stream; 0 elsewhere). */
  outbox_size: number;
  /** Events in the handler buffer, not yet started. */
  buffered: number;
  /** Events whose handlers are running now. */
  running: number;
}

/** Options of `close`. */
export interface EventBusCloseOptions {
  /** How long buffered and running handlers may still run (default 5 000 ms). */
  drainTimeoutMs?: number;
}

/** An event the bus could not send before it closed (outbox left-overs). */
export interface UnsentEvent {
  channel: string;
  event: EventEnvelope;
}

/** What `close` reports. */
export interface EventBusCloseReport {
  /** Outbox events that could not be sent (Redis still unreachable); empty when everything went out. */
  unsent: UnsentEvent[];
  /** Events whose handlers had not finished when the drain timeout passed (on redis_stream they stay pending and are redelivered). */
  unfinished: number;
}

/** The event bus. Create one with {@link createEventBus}. */
export interface EventBus {
  /** `redis_pubsub`, `redis_stream` or `local`. */
  readonly type: EventBusType;
  /**
   * Publishes one event on `channel`; resolves to its id.
   * @throws InvalidOptionError for a bad channel, type or non-JSON data, options that are not an object
   *         (`publish.options`) or hold an unknown key (`publish.options.<key>`); EventBusClosedError after close;
   *         OutboxFullError (redis_stream) when Redis is unreachable and the outbox is full.
   */
  publish<T = unknown>(channel: string, type: string, data?: T, options?: EventPublishOptions): Promise<string>;
  /**
   * Publishes several events on one channel, in order (pub/sub: one round trip; streams: one script call per stream partition touched); ids in input order.
   * @throws InvalidOptionError naming the event (`publishBatch.events[i].type`, `publishBatch.events[i].<key>` for an unknown key); nothing of the batch is sent.
   */
  publishBatch(channel: string, events: ReadonlyArray<EventInput>): Promise<string[]>;
  /**
   * Registers a handler for a channel, or a glob pattern (`*`, `?`, `[abc]`, e.g. `meeting.*`).
   * Several handlers per channel are fine. Resolves once the subscription is active.
   * @throws InvalidOptionError for a bad channel or handler, options that are not an object (`subscribe.options`),
   *         an unknown option (`subscribe.options.<key>`) or a `once` that is not a boolean (`subscribe.options.once`).
   */
  subscribe<T = unknown>(channelOrPattern: string, handler: EventHandler<T>, options?: EventSubscribeOptions): Promise<EventSubscription>;
  /** This process's counters. */
  stats(): EventBusStats;
  /** Stops receiving, drains handlers, flushes the outbox; reports what it could not send. Safe to call twice. */
  close(options?: EventBusCloseOptions): Promise<EventBusCloseReport>;
}

export const EVENT_BUS_TYPES = ['redis_pubsub', 'redis_stream', 'local'] as const;
/** Seed config `event_bus.type`. */
export type EventBusType = (typeof EVENT_BUS_TYPES)[number];
