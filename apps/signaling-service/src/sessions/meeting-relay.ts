import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { createEventBus, EventBus, EventEnvelope, EventSubscription, QueueManager } from '@meeting/queue';
import { RelayMessage, relayChannel } from './relay-messages';

type RelayHandler = (meetingId: string, message: RelayMessage) => void;

/**
 * Carries signaling between instances: one Redis pub/sub channel per meeting (the library's
 * `redis_pubsub` event bus on the manager's connection, prefix `<redis.key_prefix>:signal`),
 * subscribed while this instance holds a session of the meeting. Every instance, the sender's
 * included, delivers from the channel, so local and remote peers see the same order. One handler
 * worker keeps each meeting's messages in order (an offer before its ICE candidates). Without
 * Redis, an in-process bus (one instance).
 */
@Injectable()
export class MeetingRelay implements OnApplicationShutdown {
  private readonly logger = new Logger('MeetingRelay');
  private readonly bus: EventBus;
  private readonly subscriptions = new Map<string, Promise<EventSubscription>>();
  private handler: RelayHandler = () => undefined;

  constructor(queues: QueueManager) {
    const common = { serviceName: queues.config.service_name, workers: 1, bufferSize: 10_000 };
    this.bus = queues.redis
      ? createEventBus({ ...common, type: 'redis_pubsub', client: queues.redis.take(), prefix: `${queues.config.redis.key_prefix}:signal` })
      : createEventBus({ ...common, type: 'local' });
  }

  /** Where relayed messages go (the gateway). */
  onMessage(handler: RelayHandler): void {
    this.handler = handler;
  }

  /** Subscribes to the meeting's channel (once; resolves when Redis confirmed it). */
  join(meetingId: string): Promise<EventSubscription> {
    let subscription = this.subscriptions.get(meetingId);
    if (!subscription) {
      subscription = this.bus.subscribe<RelayMessage>(relayChannel(meetingId), (event: EventEnvelope<RelayMessage>) => this.handler(meetingId, event.data));
      this.subscriptions.set(meetingId, subscription);
      subscription.catch(() => this.subscriptions.delete(meetingId));
    }
    return subscription;
  }

  /** Unsubscribes when this instance holds no more sessions of the meeting. */
  async leave(meetingId: string): Promise<void> {
    const subscription = this.subscriptions.get(meetingId);
    if (!subscription) return;
    this.subscriptions.delete(meetingId);
    await (await subscription).unsubscribe();
  }

  async publish(meetingId: string, message: RelayMessage): Promise<void> {
    await this.bus.publish(relayChannel(meetingId), message.kind, message);
  }

  get meetings(): number {
    return this.subscriptions.size;
  }

  /** Last (after the sessions said goodbye through it). */
  async onApplicationShutdown(): Promise<void> {
    const report = await this.bus.close({ drainTimeoutMs: 2000 });
    if (report.unsent.length > 0) this.logger.warn(`${report.unsent.length} relay message(s) not sent at shutdown`);
  }
}
