import type { RedisClient } from '../../redis/redis-connection';
import { InvalidOptionError } from '../../errors';
import { checkOption, intField } from '../../util/fields';
import { BaseEventBus, BaseBusSettings } from '../base-event-bus';
import { assertChannel, fieldsToEnvelope } from '../cloud-event';
import type { EventBusStats, EventContext, EventEnvelope, UnsentEvent } from '../event-bus';
import type { ResolvedStreamOptions } from '../event-bus-options';
import { StreamAckBatcher } from './stream-ack-batcher';
import { GiveBackDeps, giveBackDeliveries, StreamChannelConsumer } from './stream-consumer';
import { StreamKeys, streamCommands } from './stream-keys';
import { DeadLetterEvent, GroupLag, parseDeadLetter, parseGroups } from './stream-info';
import { StreamPublisher } from './stream-publisher';

export interface RedisStreamBusSettings extends BaseBusSettings, ResolvedStreamOptions {
  client: RedisClient;
  prefix: string;
}

/** Stats of the stream bus: the common ones plus dead letters. */
export interface RedisStreamBusStats extends EventBusStats {
  /** Entries this process moved to a dead-letter stream. */
  dead_lettered: number;
}

/** Checks a list of channel names given to a call; throws InvalidOptionError at `path` or `path[i]`. */
function checkChannelList(channels: unknown, path: string): string[] {
  if (!Array.isArray(channels)) throw new InvalidOptionError(path, channels, 'an array of channel names');
  return channels.map((channel: unknown, i) => assertChannel(channel, `${path}[${i}]`));
}

/** Largest sequence part of a stream id (2^64 - 1). */
const MAX_STREAM_SEQ = '18446744073709551615';

/**
 * Durable events on Redis Streams (`event_bus.type: redis_stream`), at-least-once. One stream per
 * channel, trimmed by approximate length and age; one consumer group per service (`serviceName`)
 * and one consumer per process, so each service gets every event once and its replicas share the
 * work; a service that was down resumes where its group stopped. An entry is acknowledged after
 * all its handlers succeeded; failed or abandoned entries are reclaimed after `claimIdleMs` and
 * retried up to `maxDeliveries`, then moved to the channel's dead-letter stream with the reason.
 *
 * Backup producer: while Redis is unreachable, publishes go to a bounded outbox (`outbox.maxSize`)
 * and are sent in order when Redis is back; a full outbox rejects with OutboxFullError. While
 * Redis refuses the connection for good (a rotated password: `RedisAuthError`), publishes reject
 * with that error instead. The publish side (appends, outbox, channel registry) is
 * {@link StreamPublisher}; one channel partition's group reads and claims are
 * {@link StreamChannelConsumer}.
 *
 * Partitions (`partitions`, `channelPartitions`): a channel of N partitions is N streams under
 * different hash tags ({@link StreamKeys}); a publish's `partitionKey` picks one by hash (one key,
 * one stream: its events stay in order), a batch without keys goes to the next partition in turn.
 * A subscriber reads every partition (one consumer and one blocking connection per partition);
 * each partition has its own consumer group and dead-letter stream.
 */
export class RedisStreamEventBus extends BaseEventBus {
  readonly type = 'redis_stream' as const;
  private readonly lua = streamCommands();
  /** Consumers by stream key (one per partition of each channel read). */
  private readonly consumers = new Map<string, StreamChannelConsumer>();
  private readonly starting = new Map<string, Promise<void>>();
  /** Pattern -> group start id of channels found through it (the last id before the subscription's millisecond). */
  private readonly patternSince = new Map<string, string>();
  private readonly publisher: StreamPublisher;
  private readonly acks: StreamAckBatcher;
  private discoveryTimer?: NodeJS.Timeout;
  private deadLettered = 0;
  /** Entries handed to the pool whose job has not started, by stream: what close discards is given back. */
  private readonly unstarted = new Map<string, { keys: StreamKeys; ids: Set<string> }>();
  /** Give-backs under way, awaited before the bus lets go of the client. */
  private readonly givingBack = new Set<Promise<void>>();

  constructor(private readonly opts: RedisStreamBusSettings) {
    super(opts, `EventBus:redis_stream:${opts.serviceName}`);
    this.lua.install(opts.client);
    this.acks = new StreamAckBatcher(opts.client, opts.serviceName, (error, stream, ids) =>
      this.logger.warn(`XACK of ${ids.length} entries on ${stream} failed (they stay pending and are delivered again): ${(error as Error).message}`),
    );
    this.publisher = new StreamPublisher(
      opts,
      this.lua,
      this.logger,
      (channel) => this.partitionsOf(channel),
      (count) => (this.counters.published += count),
    );
  }

  /** Partitions of a channel (`channelPartitions`, else `partitions`). */
  partitionsOf(channel: string): number {
    return this.opts.channelPartitions[channel] ?? this.opts.partitions;
  }

  /**
   * Lag and pending count of every group, per channel (default: the channels this bus reads or
   * wrote); one entry per partition of a partitioned channel (`partition` set).
   * @throws InvalidOptionError at `lag.channels` (not an array) or `lag.channels[i]` (not a channel name)
   */
  async lag(channels?: string[]): Promise<GroupLag[]> {
    const list = channels === undefined ? this.knownChannels() : checkChannelList(channels, 'lag.channels');
    const out: GroupLag[] = [];
    for (const channel of list) {
      const partitions = this.partitionsOf(channel);
      for (const keys of StreamKeys.partitions(this.opts.prefix, channel, partitions)) {
        try {
          const reply = await this.opts.client.xinfo('GROUPS', keys.stream);
          const groups = parseGroups(channel, reply as unknown[]);
          out.push(...(partitions > 1 ? groups.map((g) => ({ ...g, partition: keys.partition })) : groups));
        } catch (error) {
          if (!/no such key/i.test((error as Error).message)) throw error;
        }
      }
    }
    return out;
  }

  /**
   * Newest entries of a channel's dead-letter stream(s) first (default 100; of every partition, merged by time).
   * @throws InvalidOptionError at `deadLetters.channel` (not a channel name) or `deadLetters.count` (not a positive integer)
   */
  async deadLetters(channel: string, count?: number): Promise<DeadLetterEvent[]> {
    assertChannel(channel, 'deadLetters.channel');
    const limit = checkOption(intField(1).default(100), count, 'deadLetters.count', InvalidOptionError);
    const out: DeadLetterEvent[] = [];
    for (const keys of StreamKeys.partitions(this.opts.prefix, channel, this.partitionsOf(channel))) {
      const reply = await this.opts.client.xrevrange(keys.dead, '+', '-', 'COUNT', limit);
      out.push(...reply.map(([id, fields]) => parseDeadLetter(id, fields)));
    }
    const ms = (id: string) => Number(id.split('-')[0]);
    return out.sort((a, b) => ms(b.deadLetterId) - ms(a.deadLetterId)).slice(0, limit);
  }

  /** The channels this bus reads or wrote. */
  private knownChannels(): string[] {
    return [...new Set([...[...this.consumers.values()].map((c) => c.channel), ...this.publisher.registeredChannels])];
  }

  override stats(): RedisStreamBusStats {
    return { ...super.stats(), dead_lettered: this.deadLettered };
  }

  protected override outboxSize(): number {
    return this.publisher.outboxSize;
  }

  protected send(channel: string, events: EventEnvelope[], partitionKeys: Array<string | undefined>): Promise<void> {
    return this.publisher.send(channel, events, partitionKeys);
  }

  protected async keyAdded(key: string, isPattern: boolean): Promise<void> {
    if (!isPattern) {
      await this.publisher.register(key);
      await this.ensureConsumer(key, '$');
      return;
    }
    const [seconds, micros] = (await this.opts.client.time()) as [string | number, string | number];
    // The group's last-delivered id is the largest id of the previous millisecond: XREADGROUP `>`
    // returns ids strictly above it, so an event appended in the subscription's own millisecond
    // (`<ms>-0`, e.g. published right after subscribe resolved) is read too.
    const ms = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    this.patternSince.set(key, `${ms - 1}-${MAX_STREAM_SEQ}`);
    await this.discover();
    if (!this.discoveryTimer) {
      this.discoveryTimer = setInterval(
        () => void this.discover().catch((error) => this.logger.warn(`channel discovery failed: ${(error as Error).message}`)),
        this.opts.discoveryIntervalMs,
      );
      this.discoveryTimer.unref();
    }
  }

  protected async keyRemoved(key: string, isPattern: boolean): Promise<void> {
    if (isPattern) this.patternSince.delete(key);
    if (this.patternSince.size === 0 && this.discoveryTimer) {
      clearInterval(this.discoveryTimer);
      this.discoveryTimer = undefined;
    }
    const unused = [...this.consumers].filter(([, c]) => !this.registry.covers(c.channel));
    for (const [stream] of unused) this.consumers.delete(stream);
    await Promise.all(unused.map(([, c]) => c.stop()));
  }

  protected async stopReceiving(): Promise<void> {
    if (this.discoveryTimer) clearInterval(this.discoveryTimer);
    await Promise.all([...this.starting.values()].map((p) => p.catch(() => undefined)));
    await Promise.all([...this.consumers.values()].map((c) => c.stop()));
    this.consumers.clear();
  }

  protected async release(timeoutMs: number): Promise<UnsentEvent[]> {
    // the pool is closed: what it still held was discarded without starting
    for (const { keys, ids } of this.unstarted.values()) this.giveBack(keys, [...ids]);
    this.unstarted.clear();
    await Promise.all([...this.givingBack]);
    await this.acks.drain();
    return this.publisher.release(timeoutMs);
  }

  private async discover(): Promise<void> {
    if (this.patternSince.size === 0 || this.closed) return;
    const channels = await this.opts.client.smembers(StreamKeys.registry(this.opts.prefix));
    for (const channel of channels) {
      const since = this.registry
        .patternsMatching(channel)
        .map((p) => this.patternSince.get(p))
        .filter((s): s is string => !!s);
      if (since.length === 0) continue;
      since.sort((a, b) => Number(a.split('-')[0]) - Number(b.split('-')[0]));
      await this.ensureConsumer(channel, since[0]);
    }
  }

  /** Starts a consumer on every partition of the channel. */
  private async ensureConsumer(channel: string, startId: string): Promise<void> {
    await Promise.all(StreamKeys.partitions(this.opts.prefix, channel, this.partitionsOf(channel)).map((keys) => this.ensurePartitionConsumer(keys, startId)));
  }

  private async ensurePartitionConsumer(keys: StreamKeys, startId: string): Promise<void> {
    const { channel, stream } = keys;
    if (this.consumers.has(stream)) return;
    const pending = this.starting.get(stream);
    if (pending) return pending;
    const consumer = new StreamChannelConsumer({
      keys,
      client: this.opts.client,
      group: this.opts.serviceName,
      options: this.opts,
      pool: this.pool,
      lua: this.lua,
      logger: this.logger,
      deliver: (entry, done) => this.deliver(keys, entry, done),
      onDeadLettered: (count) => {
        this.deadLettered += count;
        this.logger.warn(`${count} abandoned event(s) on "${channel}" moved to the dead-letter stream`);
      },
    });
    const start = consumer.start(startId).then(() => {
      if (this.closed) return consumer.stop();
      this.consumers.set(stream, consumer);
    });
    this.starting.set(stream, start);
    try {
      await start;
    } finally {
      this.starting.delete(stream);
    }
  }

  private async deliver(keys: StreamKeys, entry: { id: string; fields: string[]; deliveries: number }, done: () => void): Promise<boolean> {
    const channel = keys.channel;
    const event = fieldsToEnvelope(entry.fields);
    if (!event) {
      this.counters.invalid++;
      this.logger.warn(`entry ${entry.id} on "${channel}" is not a CloudEvents envelope; moved to the dead-letter stream`);
      await this.deadLetter(keys, entry.id, entry.deliveries, 'invalid_envelope: not a CloudEvents 1.0 entry').finally(done);
      return true;
    }
    const { entries, emptied } = this.registry.takeForChannel(channel);
    this.releaseEmptied(emptied);
    if (entries.length === 0) {
      // read for a subscription that ended meanwhile (a `once` already taken, an unsubscribe)
      await this.giveBack(keys, [entry.id]);
      return false;
    }
    this.counters.received++;
    const context: EventContext = { channel, deliveryCount: entry.deliveries, streamId: entry.id };
    const unstarted = this.unstartedOf(keys);
    unstarted.add(entry.id);
    const accepted = await this.dispatch(
      entries,
      event,
      context,
      async (errors) => {
        try {
          if (errors.length === 0) {
            this.acks.ack(keys.stream, entry.id);
          } else if (entry.deliveries >= this.opts.maxDeliveries) {
            const first = errors[0] instanceof Error ? errors[0].message : String(errors[0]);
            await this.deadLetter(
              keys,
              entry.id,
              entry.deliveries,
              `handler_error: failed on delivery ${entry.deliveries} of ${this.opts.maxDeliveries}: ${first.slice(0, 500)}`,
            );
          }
          // else: stays pending; reclaimed after claimIdleMs and delivered again
        } finally {
          done();
        }
      },
      // the consumers of several streams (channels, partitions) may each have read while the
      // buffer had room: hold what they read (bounded by streams x readCount) rather than leave it pending
      'hold',
      (live) => {
        unstarted.delete(entry.id);
        if (live) return true;
        // every handler it was taken for was unsubscribed while it waited: no handler runs it
        done();
        void this.giveBack(keys, [entry.id]);
        return false;
      },
    );
    if (!accepted && unstarted.delete(entry.id)) await this.giveBack(keys, [entry.id]); // the pool closed while it waited
    return accepted;
  }

  private unstartedOf(keys: StreamKeys): Set<string> {
    let held = this.unstarted.get(keys.stream);
    if (!held) this.unstarted.set(keys.stream, (held = { keys, ids: new Set() }));
    return held.ids;
  }

  /** Gives back the delivery of entries read but handed to no handler ({@link giveBackDeliveries}); never rejects. */
  private giveBack(keys: StreamKeys, ids: string[]): Promise<void> {
    const deps: GiveBackDeps = { keys, client: this.opts.client, group: this.opts.serviceName, options: this.opts, lua: this.lua, logger: this.logger };
    const given = giveBackDeliveries(deps, ids);
    this.givingBack.add(given);
    void given.finally(() => this.givingBack.delete(given));
    return given;
  }

  /** Never rejects: an entry that cannot be moved (for example a dead-letter key of the wrong type) stays pending and is claimed again later. */
  private async deadLetter(keys: StreamKeys, id: string, deliveries: number, reason: string): Promise<void> {
    try {
      await this.lua.run(
        this.opts.client,
        'dead-letter',
        [keys.stream, keys.dead],
        [this.opts.serviceName, this.opts.deadLetterMaxLen, 1, id, deliveries, reason],
      );
    } catch (error) {
      this.logger.error(`entry ${id} on "${keys.channel}" could not be moved to the dead-letter stream (it stays pending): ${(error as Error).message}`);
      return;
    }
    this.deadLettered++;
    this.logger.warn(`entry ${id} on "${keys.channel}" moved to the dead-letter stream: ${reason}`);
  }
}
