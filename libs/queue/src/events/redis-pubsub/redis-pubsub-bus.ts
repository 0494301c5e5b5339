import type Redis from 'ioredis';
import { RedisClient, duplicateClient } from '../../redis/redis-connection';
import { BaseEventBus, BaseBusSettings } from '../base-event-bus';
import { decodeEnvelope, encodeEnvelope } from '../cloud-event';
import type { EventContext, EventEnvelope, UnsentEvent } from '../event-bus';

export interface RedisPubSubBusSettings extends BaseBusSettings {
  client: RedisClient;
  prefix: string;
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
 */
export class RedisPubSubEventBus extends BaseEventBus {
  readonly type = 'redis_pubsub' as const;
  private subscriber?: RedisClient;
  private paused?: PausableSocket;
  private readonly offSpace: () => void;

  constructor(private readonly pubsub: RedisPubSubBusSettings) {
    super(pubsub, `EventBus:redis_pubsub:${pubsub.serviceName}`);
    this.offSpace = this.pool.onSpace(() => this.resumeReading());
  }

  protected async send(channel: string, events: EventEnvelope[]): Promise<void> {
    const name = this.redisChannel(channel);
    const payloads = events.map((e) => encodeEnvelope(e));
    if (payloads.length === 1) {
      await this.pubsub.client.publish(name, payloads[0]);
    } else {
      // one pipeline (one socket write) for the batch instead of a write per event
      const pipeline = this.pubsub.client.pipeline();
      for (const payload of payloads) pipeline.publish(name, payload);
      const replies = (await pipeline.exec()) ?? [];
      const failed = replies.find(([error]) => error);
      if (failed) throw failed[0];
    }
    this.counters.published += events.length;
  }

  protected async keyAdded(key: string, isPattern: boolean): Promise<void> {
    const subscriber = this.ensureSubscriber();
    if (isPattern) await subscriber.psubscribe(this.redisChannel(key));
    else await subscriber.subscribe(this.redisChannel(key));
  }

  protected async keyRemoved(key: string, isPattern: boolean): Promise<void> {
    const subscriber = this.subscriber;
    if (!subscriber) return;
    if (isPattern) await subscriber.punsubscribe(this.redisChannel(key));
    else await subscriber.unsubscribe(this.redisChannel(key));
  }

  protected async stopReceiving(): Promise<void> {
    this.offSpace();
    this.resumeReading();
    this.subscriber?.disconnect();
  }

  protected async release(): Promise<UnsentEvent[]> {
    this.subscriber = undefined;
    return [];
  }

  private ensureSubscriber(): RedisClient {
    if (this.subscriber) return this.subscriber;
    const subscriber = duplicateClient(this.pubsub.client);
    // errors and reconnects are logged by the connection's outage log (see duplicateClient);
    // ioredis subscribes the channels again by itself after a reconnect
    subscriber.on('message', (channel: string, message: string) => this.onMessage(channel, undefined, message));
    subscriber.on('pmessage', (pattern: string, channel: string, message: string) => this.onMessage(channel, pattern, message));
    this.subscriber = subscriber;
    return subscriber;
  }

  private onMessage(redisChannel: string, redisPattern: string | undefined, message: string): void {
    if (this.closed) return;
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
