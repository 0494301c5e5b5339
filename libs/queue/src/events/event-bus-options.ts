import { hostname } from 'os';
import { QueueConfigError } from '../errors';
import type { QueueLogger } from '../logger';
import { checkRedisClient, isClusterClient, RedisClient } from '../redis/redis-connection';
import { boolField, checkKnownKeys, checkOption, enumField, intField, KeyList, knownKeys, timerMsField } from '../util/fields';
import { CHANNEL_NAME_PATTERN } from './cloud-event';
import { BufferFullPolicy, EVENT_BUS_TYPES, EventBusType } from './event-bus';

/** Options every bus takes (seed `event_bus`: `buffer_size`, `workers`). */
export interface CommonEventBusOptions {
  /** The service this process belongs to: CloudEvents `source`, and the consumer group on redis_stream. `[A-Za-z0-9_.:/-]`, 1..100 characters. Default for `local`: `local`. */
  serviceName?: string;
  /** Events buffered before handlers start (seed `buffer_size`; default 1000). */
  bufferSize?: number;
  /** Events handled at once by this bus (seed `workers`; default 4). */
  workers?: number;
  /** What a full buffer does: `wait` (default) or `drop` (counted). See {@link BufferFullPolicy}. */
  bufferFullPolicy?: BufferFullPolicy;
  /** Where the bus logs (default: a console logger); lines are tagged `EventBus:<type>:<service>`. */
  logger?: QueueLogger;
}

/** Options of the Redis buses. */
export interface RedisEventBusConnectionOptions {
  /** Connection for commands; shared, not closed by the bus. Subscriber and blocking connections are duplicated from it. */
  client: RedisClient;
  /** Key and channel prefix (default `mq:ev`, the same as a QueueManager with the default `redis.key_prefix`). `[A-Za-z0-9_.:-]`. */
  prefix?: string;
}

/** Retention of one stream (channel). 0 = no limit of that kind. */
export interface StreamRetention {
  /** Approximate maximum length (XADD MAXLEN ~; default 100 000). */
  maxLen?: number;
  /** Maximum age in ms (XTRIM MINID ~ on each publish; default 86 400 000 = 24 h). */
  maxAgeMs?: number;
}

export interface RedisStreamBusOptions {
  /**
   * Consumer name of this process inside the service's group (default `<hostname>-<pid>`). Must be
   * unique among the live processes of a service: two processes under one name share one pending
   * list, and after a dropped connection one reads back entries the other is handling (delivered
   * twice). Entries a stopped process held are not resumed at its restart: any consumer of the
   * group reclaims them once idle for `claimIdleMs`.
   */
  consumerName?: string;
  /** Default retention, and per-channel overrides in `channels`. */
  retention?: StreamRetention & { channels?: Record<string, StreamRetention> };
  /** Deliveries of one entry before it goes to the dead-letter stream (default 5). */
  maxDeliveries?: number;
  /** An entry pending this long (handler failed, or its consumer died) is reclaimed with XAUTOCLAIM (default 30 000 ms). */
  claimIdleMs?: number;
  /** XREADGROUP BLOCK time (default 5000 ms). */
  blockMs?: number;
  /** Most entries per read (default 100; never more than the free buffer). */
  readCount?: number;
  /** Approximate maximum length of a dead-letter stream (default 10 000). */
  deadLetterMaxLen?: number;
  /** How often pattern subscriptions look for new channels (default 5000 ms). */
  discoveryIntervalMs?: number;
  /** Backup producer: hold publishes while Redis is unreachable (default enabled, 10 000 events). */
  outbox?: { enabled?: boolean; maxSize?: number };
  /**
   * Streams per channel (default 1): a channel of N partitions is N streams, each under its own
   * hash tag so a Redis Cluster spreads them over its masters; `partitionKey` of a publish picks
   * one (the events of a key stay in order), consumers read every partition, one consumer group
   * per partition. Every service of a channel must use the same count. Overrides per channel in
   * `channelPartitions`.
   */
  partitions?: number;
  /** Partition count of some channels (channel -> N). */
  channelPartitions?: Record<string, number>;
}

export type LocalEventBusOptions = CommonEventBusOptions & { type: 'local' };
/** Options of the `redis_pubsub` bus. */
export interface RedisPubSubBusOptions {
  /**
   * On a Redis Cluster client: sharded pub/sub, SPUBLISH/SSUBSCRIBE (default true; Redis 7), so a
   * channel's events go to the one master of its slot instead of every node; pattern subscriptions
   * are then refused (`ShardedPatternError`). false: classic PUBLISH/SUBSCRIBE/PSUBSCRIBE, broadcast
   * to every node. Every service on one channel must agree. Ignored on a single Redis or Sentinel.
   */
  shardedPubSub?: boolean;
}

export type RedisPubSubEventBusOptions = CommonEventBusOptions & RedisEventBusConnectionOptions & RedisPubSubBusOptions & { type: 'redis_pubsub' };
export type RedisStreamEventBusOptions = CommonEventBusOptions & RedisEventBusConnectionOptions & RedisStreamBusOptions & { type: 'redis_stream' };
export type EventBusOptions = LocalEventBusOptions | RedisPubSubEventBusOptions | RedisStreamEventBusOptions;

export interface ResolvedCommonOptions {
  type: EventBusType;
  serviceName: string;
  bufferSize: number;
  workers: number;
  bufferFullPolicy: BufferFullPolicy;
}

export interface ResolvedStreamOptions {
  consumerName: string;
  retention: Required<StreamRetention>;
  channelRetention: Record<string, Required<StreamRetention>>;
  maxDeliveries: number;
  claimIdleMs: number;
  blockMs: number;
  readCount: number;
  deadLetterMaxLen: number;
  discoveryIntervalMs: number;
  outboxEnabled: boolean;
  outboxMaxSize: number;
  partitions: number;
  channelPartitions: Record<string, number>;
}

const NAME = /^[A-Za-z0-9_.:/-]{1,100}$/;
const PREFIX = /^[A-Za-z0-9_.:-]{1,100}$/;

/**
 * The facts about bus options that the YAML `event_bus` section shares: the config schema builds
 * its keys from these fields, so a bound is written once.
 */
export const EVENT_BUS_FIELDS = {
  type: () => enumField(EVENT_BUS_TYPES),
  bufferSize: () => intField(1, 10_000_000),
  workers: () => intField(1, 10_000),
  bufferFullPolicy: () => enumField(['wait', 'drop']),
  maxLen: () => intField(0),
  maxAge: () => intField(0),
  maxDeliveries: () => intField(1, 1000),
  claimIdleMs: () => timerMsField(10),
  blockMs: () => intField(1, 600_000),
  readCount: () => intField(1, 10_000),
  deadLetterMaxLen: () => intField(1),
  outboxMaxSize: () => intField(1),
  partitions: () => intField(1, 256),
};
const F = EVENT_BUS_FIELDS;

const COMMON_KEYS: KeyList<CommonEventBusOptions> = { serviceName: true, bufferSize: true, workers: true, bufferFullPolicy: true, logger: true };
const CONNECTION_KEYS: KeyList<RedisEventBusConnectionOptions> = { client: true, prefix: true };
const STREAM_KEYS: KeyList<RedisStreamBusOptions> = {
  consumerName: true,
  retention: true,
  maxDeliveries: true,
  claimIdleMs: true,
  blockMs: true,
  readCount: true,
  deadLetterMaxLen: true,
  discoveryIntervalMs: true,
  outbox: true,
  partitions: true,
  channelPartitions: true,
};

/** The options each type of bus takes: any other key is refused. */
const BUS_KEYS: { readonly [T in EventBusType]: readonly string[] } = {
  local: knownKeys<LocalEventBusOptions>({ ...COMMON_KEYS, type: true }),
  redis_pubsub: knownKeys<RedisPubSubEventBusOptions>({ ...COMMON_KEYS, ...CONNECTION_KEYS, shardedPubSub: true, type: true }),
  redis_stream: knownKeys<RedisStreamEventBusOptions>({ ...COMMON_KEYS, ...CONNECTION_KEYS, ...STREAM_KEYS, type: true }),
};
type Retention = NonNullable<RedisStreamBusOptions['retention']>;
const RETENTION_KEYS = knownKeys<Retention>({ maxLen: true, maxAgeMs: true, channels: true });
const CHANNEL_RETENTION_KEYS = knownKeys<StreamRetention>({ maxLen: true, maxAgeMs: true });
const OUTBOX_KEYS = knownKeys<NonNullable<RedisStreamBusOptions['outbox']>>({ enabled: true, maxSize: true });

/**
 * Validates what every bus takes, and refuses a key the bus of `options.type` does not take;
 * throws {@link QueueConfigError} naming the option.
 */
export function resolveCommonOptions(options: EventBusOptions, path = 'event_bus'): ResolvedCommonOptions {
  if (!options || typeof options !== 'object') throw new QueueConfigError(path, options, 'an options object');
  const type = checkOption(F.type(), options.type, `${path}.type`);
  checkKnownKeys(options, BUS_KEYS[type], path);
  const serviceName = options.serviceName ?? (options.type === 'local' ? 'local' : undefined);
  if (typeof serviceName !== 'string' || !NAME.test(serviceName)) {
    throw new QueueConfigError(`${path}.serviceName`, serviceName, 'a service name of 1..100 characters from [A-Za-z0-9_.:/-]');
  }
  return {
    type,
    serviceName,
    bufferSize: checkOption(F.bufferSize().default(1000), options.bufferSize, `${path}.bufferSize`),
    workers: checkOption(F.workers().default(4), options.workers, `${path}.workers`),
    bufferFullPolicy: checkOption(F.bufferFullPolicy().default('wait'), options.bufferFullPolicy, `${path}.bufferFullPolicy`),
  };
}

/**
 * The prefix of the Redis buses under a key prefix (config `redis.key_prefix`): `<keyPrefix>:ev`.
 * QueueManager uses it; createEventBus defaults to it with the default key prefix `mq`, so a
 * service built either way meets the other on the same channels.
 */
export function eventBusPrefix(keyPrefix: string): string {
  return `${keyPrefix}:ev`;
}

/** Default prefix of a Redis bus: `mq:ev` ({@link eventBusPrefix} of the default key prefix `mq`). */
export const DEFAULT_EVENT_BUS_PREFIX = eventBusPrefix('mq');

/** Validates the client and prefix of a Redis bus. */
export function resolveConnection(options: RedisEventBusConnectionOptions, path = 'event_bus'): { client: RedisClient; prefix: string } {
  const client = checkRedisClient(options.client, `${path}.client`);
  const prefix = options.prefix ?? DEFAULT_EVENT_BUS_PREFIX;
  if (typeof prefix !== 'string' || !PREFIX.test(prefix))
    throw new QueueConfigError(`${path}.prefix`, prefix, 'a prefix of 1..100 characters from [A-Za-z0-9_.:-]');
  return { client, prefix };
}

/** Whether a `redis_pubsub` bus on `client` uses sharded pub/sub: a Cluster client with `shardedPubSub` not false. */
export function resolveSharded(options: RedisPubSubBusOptions, client: RedisClient, path = 'event_bus'): boolean {
  const sharded = checkOption(boolField().default(true), options.shardedPubSub, `${path}.shardedPubSub`);
  return sharded && isClusterClient(client);
}

/** Validates the redis_stream options; throws {@link QueueConfigError} naming the option. */
export function resolveStreamOptions(options: RedisStreamBusOptions, path = 'event_bus'): ResolvedStreamOptions {
  const consumerName = options.consumerName ?? `${hostname()}-${process.pid}`;
  if (typeof consumerName !== 'string' || !NAME.test(consumerName)) {
    throw new QueueConfigError(`${path}.consumerName`, consumerName, 'a name of 1..100 characters from [A-Za-z0-9_.:/-]');
  }
  const retention = (
    value: StreamRetention | undefined,
    at: string,
    fallback: Required<StreamRetention>,
    known: readonly string[],
  ): Required<StreamRetention> => {
    if (value !== undefined && (value === null || typeof value !== 'object')) throw new QueueConfigError(at, value, 'an object { maxLen, maxAgeMs }');
    checkKnownKeys(value, known, at);
    return {
      maxLen: checkOption(F.maxLen().default(fallback.maxLen), value?.maxLen, `${at}.maxLen`),
      maxAgeMs: checkOption(F.maxAge().default(fallback.maxAgeMs), value?.maxAgeMs, `${at}.maxAgeMs`),
    };
  };
  const base = retention(options.retention, `${path}.retention`, { maxLen: 100_000, maxAgeMs: 86_400_000 }, RETENTION_KEYS);
  const channelRetention: Record<string, Required<StreamRetention>> = {};
  for (const [channel, value] of Object.entries(options.retention?.channels ?? {})) {
    if (!CHANNEL_NAME_PATTERN.test(channel)) throw new QueueConfigError(`${path}.retention.channels`, channel, 'channel names from [A-Za-z0-9_.:/-]');
    channelRetention[channel] = retention(value, `${path}.retention.channels.${channel}`, base, CHANNEL_RETENTION_KEYS);
  }
  const outbox = options.outbox ?? {};
  checkKnownKeys(outbox, OUTBOX_KEYS, `${path}.outbox`);
  const channelPartitions: Record<string, number> = {};
  const perChannel = options.channelPartitions ?? {};
  if (perChannel === null || typeof perChannel !== 'object')
    throw new QueueConfigError(`${path}.channelPartitions`, perChannel, 'an object channel -> partitions');
  for (const [channel, value] of Object.entries(perChannel)) {
    if (!CHANNEL_NAME_PATTERN.test(channel)) throw new QueueConfigError(`${path}.channelPartitions`, channel, 'channel names from [A-Za-z0-9_.:/-]');
    channelPartitions[channel] = checkOption(F.partitions(), value, `${path}.channelPartitions.${channel}`);
  }
  return {
    consumerName,
    retention: base,
    channelRetention,
    maxDeliveries: checkOption(F.maxDeliveries().default(5), options.maxDeliveries, `${path}.maxDeliveries`),
    claimIdleMs: checkOption(F.claimIdleMs().default(30_000), options.claimIdleMs, `${path}.claimIdleMs`),
    blockMs: checkOption(F.blockMs().default(5000), options.blockMs, `${path}.blockMs`),
    readCount: checkOption(F.readCount().default(100), options.readCount, `${path}.readCount`),
    deadLetterMaxLen: checkOption(F.deadLetterMaxLen().default(10_000), options.deadLetterMaxLen, `${path}.deadLetterMaxLen`),
    discoveryIntervalMs: checkOption(timerMsField(10).default(5000), options.discoveryIntervalMs, `${path}.discoveryIntervalMs`),
    outboxEnabled: checkOption(boolField().default(true), outbox.enabled, `${path}.outbox.enabled`),
    outboxMaxSize: checkOption(F.outboxMaxSize().default(10_000), outbox.maxSize, `${path}.outbox.maxSize`),
    partitions: checkOption(F.partitions().default(1), options.partitions, `${path}.partitions`),
    channelPartitions,
  };
}
