import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import { RedisPermissionError } from '../../errors';
import { isAclRefusal, redisReplyLine } from '../../redis/permanent-errors';
import { closeShardedSubscriber, RedisClient, duplicateClient, duplicateShardedSubscriber, waitUntilReady } from '../../redis/redis-connection';
import { BaseEventBus, BaseBusSettings } from '../base-event-bus';
import { decodeEnvelope, encodeEnvelope } from '../cloud-event';
import type { EventContext, EventEnvelope, UnsentEvent } from '../event-bus';
import { ShardedPatternError } from '../event-errors';

export interface RedisPubSubBusSettings extends BaseBusSettings {
  client: RedisClient;
  prefix: string;
  /** SPUBLISH/SSUBSCRIBE instead of PUBLISH/SUBSCRIBE: only with a Cluster client (see {@link RedisPubSubEventBus}). */
  sharded: boolean;
}

interface PausableSocket {
  pause(): void;
  resume(): void;
}

/**
 * Broadcast over Redis Pub/Sub (`event_bus.type: redis_pubsub`), at-most-once: every subscriber
 * connected at publish time gets the event; what is published while a subscriber is disconnected
 * is lost for it. Channel `c` is the Redis channel `<prefix>:c`; patterns use PSUBSCRIBE.
 *
 * Subscriptions use a dedicated connection (duplicated from the shared client) that ioredis
 * reconnects and resubscribes by itself (`autoResubscribe`) after a dropped connection or a
 * Redis restart. With the `wait` buffer policy, reading from that connection pauses while the
 * handler buffer is full.
 *
 * On a Redis Cluster with `sharded` (option `shardedPubSub`, default on) the bus uses sharded
 * pub/sub (Redis 7): SPUBLISH goes to the master that owns the channel's slot only, instead of
 * PUBLISH being broadcast over the cluster bus to every node, and the subscriber keeps one
 * connection per master (ioredis `shardedSubscribers`) that SSUBSCRIBEs each channel on its
 * master and again after a failover or a slot migration. There is no sharded PSUBSCRIBE: a pattern
 * subscription is refused with {@link ShardedPatternError}. The reading of a full buffer is not
 * paused on a Cluster (its subscriber connections are not one socket).
 */
export class RedisPubSubEventBus extends BaseEventBus {
  readonly type = 'redis_pubsub' as const;
  private subscriber?: RedisClient;
  private paused?: PausableSocket;
  private readonly offSpace: () => void;
  /** Patterns received through {@link broad} because the ACL user may not PSUBSCRIBE them literally. */
  private readonly viaBroad = new Set<string>();
  private broad?: string;

  constructor(private readonly pubsub: RedisPubSubBusSettings) {
    super(pubsub, `EventBus:redis_pubsub:${pubsub.serviceName}`);
    this.offSpace = this.pool.onSpace(() => this.resumeReading());
  }

  /** True when this bus publishes with SPUBLISH and subscribes with SSUBSCRIBE (a Cluster with `shardedPubSub`). */
  get sharded(): boolean {
    return this.pubsub.sharded;
  }

  protected async send(channel: string, events: EventEnvelope[]): Promise<void> {
    const name = this.redisChannel(channel);
    const payloads = events.map((e) => encodeEnvelope(e));
    const client = this.pubsub.client;
    if (payloads.length === 1) {
      await (this.pubsub.sharded ? client.spublish(name, payloads[0]) : client.publish(name, payloads[0]));
    } else {
      // one pipeline (one socket write) for the batch instead of a write per event; on a Cluster
      // every SPUBLISH of the batch goes to the one master of the channel's slot
      const pipeline = client.pipeline();
      for (const payload of payloads) {
        if (this.pubsub.sharded) pipeline.spublish(name, payload);
        else pipeline.publish(name, payload);
      }
      const replies = (await pipeline.exec()) ?? [];
      const failed = replies.find(([error]) => error);
      if (failed) throw failed[0];
    }
    this.counters.published += events.length;
  }

  protected async keyAdded(key: string, isPattern: boolean): Promise<void> {
    if (isPattern && this.pubsub.sharded) throw new ShardedPatternError(key);
    const subscriber = await this.readySubscriber();
    if (!isPattern) {
      const name = this.redisChannel(key);
      try {
        return void (await (this.pubsub.sharded ? subscriber.ssubscribe(name) : subscriber.subscribe(name)));
      } catch (error) {
        if (!isAclRefusal(error)) throw error;
        throw new RedisPermissionError(
          `the ACL user may not subscribe to the channel "${this.redisChannel(key)}" (${redisReplyLine(error)}); grant &${this.pubsub.prefix}:* (docs/security.md)`,
          'NOPERM',
        );
      }
    }
    try {
      await subscriber.psubscribe(this.redisChannel(key));
    } catch (error) {
      if (!isAclRefusal(error)) throw error;
      // the ACL user's channel rule (`&mq:*`) allows PSUBSCRIBE of that literal pattern only
      await this.subscribeBroad(subscriber, key, error);
      this.viaBroad.add(key);
    }
  }

  protected async keyRemoved(key: string, isPattern: boolean): Promise<void> {
    const subscriber = this.subscriber;
    if (!subscriber || (isPattern && this.pubsub.sharded)) return;
    if (!isPattern && this.pubsub.sharded) return void (await subscriber.sunsubscribe(this.redisChannel(key)));
    if (!isPattern) return void (await subscriber.unsubscribe(this.redisChannel(key)));
    if (!this.viaBroad.delete(key)) return void (await subscriber.punsubscribe(this.redisChannel(key)));
    if (this.viaBroad.size === 0 && this.broad) {
      const broad = this.broad;
      this.broad = undefined;
      await subscriber.punsubscribe(broad);
    }
  }

  /**
   * A pattern the ACL user may not PSUBSCRIBE literally is received through the narrowest prefix
   * pattern it may (`mq:ev:*`, else `mq:*`: the `&mq:*` rule of docs/security.md) and matched
   * here, so pattern subscriptions work without `allchannels`; one such subscription serves all.
   * @throws RedisPermissionError when no prefix pattern is allowed either
   */
  private async subscribeBroad(subscriber: RedisClient, key: string, refusal: unknown): Promise<void> {
    if (this.broad) return;
    const literal = /^[^*?[\\]*/.exec(this.redisChannel(key))?.[0] ?? '';
    const candidates: string[] = [];
    for (let i = literal.lastIndexOf(':'); i > 0; i = literal.lastIndexOf(':', i - 1)) candidates.push(`${literal.slice(0, i + 1)}*`);
    for (const candidate of candidates) {
      try {
        await subscriber.psubscribe(candidate);
        this.broad = candidate;
        this.logger.log(`pattern "${key}" received through "${candidate}" (the ACL user may not subscribe the pattern itself)`);
        return;
      } catch (error) {
        if (!isAclRefusal(error)) throw error;
      }
    }
    throw new RedisPermissionError(
      `the ACL user may not subscribe to the pattern "${this.redisChannel(key)}" nor to any of ${candidates.join(', ')} ` +
        `(${redisReplyLine(refusal)}); grant &${candidates[candidates.length - 1] ?? this.redisChannel(key)} (docs/security.md)`,
      'NOPERM',
    );
  }

  protected async stopReceiving(): Promise<void> {
    this.offSpace();
    this.resumeReading();
    const subscriber = this.subscriber;
    if (subscriber && this.pubsub.sharded)
      await closeShardedSubscriber(
        subscriber as Cluster,
        this.registry.channels().map((c) => this.redisChannel(c)),
      );
    else subscriber?.disconnect();
  }

  protected async release(): Promise<UnsentEvent[]> {
    this.subscriber = undefined;
    this.broad = undefined;
    this.viaBroad.clear();
    return [];
  }

  /**
   * The subscriber connection once it is ready. A (P)SUBSCRIBE sent while the connection's handshake
   * runs (status `connect`) puts it in subscriber mode before the handshake's CLIENT SETINFO and INFO
   * ready check, which ioredis (seen with 5.8.2) then refuses ("Connection in subscriber mode, only subscriber
   * commands may be used", ioredis issue #2037): the subscription failed. Waiting for `ready` is what
   * the offline queue did for a subscription made earlier; the connection ending first rejects, and
   * so does the server refusing its connection attempts (`RedisAuthError`, ... at once: a rotated
   * password needs an operator, see `waitUntilReady`).
   */
  private async readySubscriber(): Promise<RedisClient> {
    const subscriber = this.ensureSubscriber();
    await waitUntilReady(subscriber, 0, 'the subscriber connection of the redis_pubsub event bus');
    return subscriber;
  }

  private ensureSubscriber(): RedisClient {
    if (this.subscriber) return this.subscriber;
    const subscriber = this.pubsub.sharded
      ? duplicateShardedSubscriber(this.pubsub.client as Cluster)
      : duplicateClient(this.pubsub.client, { subscriber: true });
    // errors and reconnects are logged by the connection's outage log (see duplicateClient);
    // ioredis subscribes the channels again by itself after a reconnect or a failover
    subscriber.on('message', (channel: string, message: string) => this.onMessage(channel, undefined, message));
    subscriber.on('smessage', (channel: string, message: string) => this.onMessage(channel, undefined, message));
    subscriber.on('pmessage', (pattern: string, channel: string, message: string) => this.onMessage(channel, pattern, message));
    this.subscriber = subscriber;
    return subscriber;
  }

  private onMessage(redisChannel: string, redisPattern: string | undefined, message: string): void {
    if (this.closed) return;
    if (redisPattern !== undefined && redisPattern === this.broad) return this.onBroadMessage(redisChannel, message);
    const channel = redisChannel.slice(this.pubsub.prefix.length + 1);
    const key = redisPattern === undefined ? channel : redisPattern.slice(this.pubsub.prefix.length + 1);
    const event = decodeEnvelope(message);
    if (!event) {
      this.counters.invalid++;
      this.logger.warn(`skipped a message on "${channel}" that is not a CloudEvents envelope`);
      return;
    }
    const { entries, emptied } = this.registry.takeForKey(key);
    this.releaseEmptied(emptied);
    if (entries.length === 0) return;
    this.counters.received++;
    const context: EventContext = { channel, deliveryCount: 1 };
    void this.dispatch(entries, event, context);
    if (this.pool.free === 0 && this.settings.bufferFullPolicy === 'wait') this.pauseReading();
  }

  /** A message of the broad pattern: for each refused pattern that matches the channel, as PSUBSCRIBE would have delivered it. */
  private onBroadMessage(redisChannel: string, message: string): void {
    if (!redisChannel.startsWith(`${this.pubsub.prefix}:`)) return; // another component's channel under the key prefix
    const channel = redisChannel.slice(this.pubsub.prefix.length + 1);
    const patterns = this.registry.patternsMatching(channel).filter((p) => this.viaBroad.has(p));
    for (const pattern of patterns) this.onMessage(redisChannel, `${this.pubsub.prefix}:${pattern}`, message);
  }

  private pauseReading(): void {
    const socket = (this.subscriber as Redis | undefined as { stream?: PausableSocket } | undefined)?.stream;
    if (!socket || this.paused) return;
    socket.pause();
    this.paused = socket;
  }

  private resumeReading(): void {
    if (!this.paused || (this.pool.free === 0 && !this.closed)) return;
    const socket = this.paused;
    this.paused = undefined;
    socket.resume();
  }

  private redisChannel(key: string): string {
    return `${this.pubsub.prefix}:${key}`;
  }
}
