import type { QueueAppConfig } from '../config/config.types';
import { queueOptionsFromConfig } from '../manager/queue-options-from-config';
import { createQueue } from '../queue/create-queue';
import { QUEUE_NAME_PATTERN, QueueOptions } from '../queue/queue-options';
import { QueueKeys } from '../queue/redis/queue-keys';
import { partitionTags } from '../queue/partitioned/partition-layout';
import type { StoreBackedQueue } from '../queue/task-queue';
import { DeadLetter, MessageStatus, Priority } from '../queue/queue.types';
import type { PeekPage, PeekTarget, QueueWorkerInfo } from '../queue/queue-inspection.types';
import type { RedisOutageLogger } from '../redis/outage-log';
import type { RedisClient } from '../redis/redis-connection';
import { connectAdminClient } from './admin-connection';
import { DeadLetterFilter, DeadLetterSelection, deleteDeadLetters, findDeadLetters, replayDeadLetters } from './dead-letter-admin';
import { streamGroups, StreamGroupInfo, streamKey as channelStreamKey, tailChannel, TailedEvent } from './event-streams';
import { queueNames, streamChannels } from './key-scan';
import { PubSubOverview, pubsubChannels, PubSubSampler } from './pubsub-channels';
import { InFlightPage, withHolders } from './queue-activity';
import { QueueGroups, readQueueGroups } from './queue-groups';
import { QueueInfo, queueInfo } from './queue-info';
import { QueueRateLimits, readRateLimits } from './rate-limits';
import { ScheduleAdmin, ScheduleEntry } from './schedule-admin';

export type { DeadLetterFilter, DeadLetterSelection } from './dead-letter-admin';
export type { StreamGroupInfo, TailedEvent } from './event-streams';
export type { InFlightPage } from './queue-activity';
export type { QueueGroupInfo, QueueGroups } from './queue-groups';
export type { QueueInfo } from './queue-info';
export type { ScheduleEntry } from './schedule-admin';
export { AdminConnectionError } from './admin-connection';

export interface QueueAdminOptions {
  /** Command connection; stays open unless `ownsClient`. */
  client: RedisClient;
  /** Key prefix of queues and schedulers (config `redis.key_prefix`, default `mq`). */
  prefix?: string;
  /** Key prefix of the Redis event buses (default `<prefix>:ev`, what QueueManager uses). */
  eventPrefix?: string;
  /** Options of the queue of a name (dead-letter bounds, retention...). Default: the library defaults. */
  queueOptions?: (name: string) => QueueOptions;
  /** Close the client on `close()`. */
  ownsClient?: boolean;
  /** Secret-free description of the connection (for messages). */
  description?: string;
}

/**
 * Operator access to everything under one key prefix (the `mq` CLI and the dashboard are built on
 * it): finds queues, schedulers and streams by SCAN, and reads and changes them only through the
 * library's own queue, scheduler and event APIs (no second implementation of the data model).
 */
export class QueueAdmin {
  readonly prefix: string;
  readonly eventPrefix: string;
  readonly client: RedisClient;
  readonly description: string;
  private readonly queues = new Map<string, StoreBackedQueue>();
  /** The schedulers opened for the schedule operations (schedule-admin.ts). */
  private readonly scheduleAdmin: ScheduleAdmin;
  private sampler?: PubSubSampler;

  constructor(private readonly options: QueueAdminOptions) {
    this.client = options.client;
    this.prefix = options.prefix ?? 'mq';
    this.eventPrefix = options.eventPrefix ?? `${this.prefix}:ev`;
    this.description = options.description ?? 'redis';
    this.scheduleAdmin = new ScheduleAdmin(this.client, this.prefix);
  }

  /**
   * Connects as the services do (same `redis` section: URL, Sentinel, Cluster, credentials) and
   * applies the configured queue options. Rejects after `connectTimeoutMs` (default
   * `redis.connect_timeout_ms`) when Redis does not answer.
   */
  static async fromConfig(
    config: QueueAppConfig,
    connectTimeoutMs = config.redis.connect_timeout_ms,
    /** Where the connection's outage lines go (default: the console logger); a CLI that reports failures itself passes a quiet one. */
    logger?: RedisOutageLogger,
  ): Promise<QueueAdmin> {
    const { client, description } = await connectAdminClient(config, connectTimeoutMs, logger);
    return new QueueAdmin({
      client,
      ownsClient: true,
      prefix: config.redis.key_prefix,
      description,
      queueOptions: (name) => queueOptionsFromConfig(config, name),
    });
  }

  /** Every queue that has a key under the prefix, sorted by name. */
  async listQueues(): Promise<string[]> {
    return queueNames(this.client, this.prefix);
  }

  /**
   * Whether a queue has any of its keys (a queue unknown to Redis is "not found" for operators). One
   * EXISTS per partition (the configured `partitions`): the keys of a partition share a slot.
   */
  async exists(name: string): Promise<boolean> {
    if (!QUEUE_NAME_PATTERN.test(name)) return false;
    for (const tag of partitionTags(name, this.options.queueOptions?.(name).partitions ?? 1)) {
      const k = new QueueKeys(this.prefix, tag);
      if ((await this.client.exists(...k.tiers, k.msgs, k.inflight, k.delayed, k.dlq, k.stats, k.meta, k.done, k.workers)) > 0) return true;
    }
    return false;
  }

  /** The queue of that name, for reading and operator actions (no handler runs in it). */
  queue(name: string): StoreBackedQueue {
    let queue = this.queues.get(name);
    if (!queue) {
      const options = this.options.queueOptions?.(name) ?? { name };
      queue = createQueue({ ...options, name, outbox: { enabled: false }, backend: { type: 'redis', client: this.client, prefix: this.prefix } });
      this.queues.set(name, queue);
    }
    return queue;
  }

  async info(name: string): Promise<QueueInfo> {
    return queueInfo(name, this.queue(name));
  }

  /** A queue's rate limits, their token buckets now and the messages parked behind them, per type over at most `scanMax` (admin/rate-limits.ts). */
  async rateLimits(name: string, scanMax?: number): Promise<QueueRateLimits> {
    return readRateLimits(this.queue(name), await this.workers(name), scanMax);
  }

  /**
   * A queue's message groups (docs/queue.md, "Groups"; not the stream consumer groups of `groups`):
   * those of the first `limit` places of each tier's rotation, the blocked ones and those with
   * messages in flight, each with its ready messages per tier, in flight, blocked and oldest age;
   * at most `limit` listed (admin/queue-groups.ts).
   */
  async queueGroups(name: string, limit = 100): Promise<QueueGroups> {
    return readQueueGroups(this.queue(name), limit);
  }

  /** The processes consuming a queue (host, pid, concurrency, held, publish-to-start counts), from their heartbeats. */
  workers(name: string): Promise<QueueWorkerInfo[]> {
    return this.queue(name).workers();
  }

  /** Messages in flight, soonest lease end first, each with how long it has been held and the worker holding it. */
  async inflight(name: string, options: { offset?: number; limit?: number } = {}): Promise<InFlightPage> {
    const [page, workers] = await Promise.all([this.peek(name, 'inflight', options), this.workers(name)]);
    return withHolders(page, workers);
  }

  /** `info` of every queue under the prefix. */
  async overview(): Promise<QueueInfo[]> {
    return Promise.all((await this.listQueues()).map((name) => this.info(name)));
  }

  peek(name: string, target: PeekTarget, options: { offset?: number; limit?: number } = {}): Promise<PeekPage> {
    return this.queue(name).peek(target, options);
  }

  status(name: string, id: string): Promise<MessageStatus | null> {
    return this.queue(name).getStatus(id);
  }

  /**
   * Dead letters matching the filter, newest first (pages through the queue's DLQ), with the DLQ's
   * `total` and how many match (`matched`: with a filter, counted over at least `scanMax` entries,
   * default 10 000; `matchedExact` false when the count stopped there).
   */
  async deadLetters(name: string, filter: DeadLetterFilter = {}, scanMax?: number): Promise<DeadLetterSelection> {
    return findDeadLetters(this.queue(name).deadLetters, filter, scanMax);
  }

  deadLetter(name: string, id: string): Promise<DeadLetter | null> {
    return this.queue(name).deadLetters.get(id);
  }

  /** Replays the given ids; returns those replayed (absent ones are skipped). */
  async replay(name: string, ids: string[]): Promise<string[]> {
    return replayDeadLetters(this.queue(name).deadLetters, ids);
  }

  /** Deletes the given ids; returns those deleted. */
  async deleteDeadLetters(name: string, ids: string[]): Promise<string[]> {
    return deleteDeadLetters(this.queue(name).deadLetters, ids);
  }

  /** Replays every dead letter matching the filter; returns the ids replayed. */
  async replayMatching(name: string, filter: DeadLetterFilter = {}): Promise<string[]> {
    const { items } = await this.deadLetters(name, filter);
    return this.replay(
      name,
      items.map((d) => d.id),
    );
  }

  /** Deletes every dead letter matching the filter; returns the ids deleted. */
  async purgeMatching(name: string, filter: DeadLetterFilter = {}): Promise<string[]> {
    const { items } = await this.deadLetters(name, filter);
    return this.deleteDeadLetters(
      name,
      items.map((d) => d.id),
    );
  }

  pause(name: string): Promise<void> {
    return this.queue(name).pause();
  }

  resume(name: string): Promise<void> {
    return this.queue(name).resume();
  }

  async publish(name: string, type: string, payload: unknown, priority?: Priority): Promise<string> {
    return this.queue(name).publish({ type, payload, priority });
  }

  /** Names of the schedulers (services) that have keys under the prefix. */
  async listSchedulers(): Promise<string[]> {
    return this.scheduleAdmin.listSchedulers();
  }

  /** Every schedule (one-off and recurring) of every scheduler, or of one. */
  async schedules(schedulerName?: string): Promise<ScheduleEntry[]> {
    return this.scheduleAdmin.schedules(schedulerName);
  }

  /** Cancels a one-off schedule or removes a recurring one by id (`once:...`, `recurring:<key>`) in the schedulers that list it; returns their names (empty: not found). */
  async cancelSchedule(id: string, schedulerName?: string): Promise<string[]> {
    return this.scheduleAdmin.cancelSchedule(id, schedulerName);
  }

  /** Channels that have a stream under the event prefix. */
  async listStreams(): Promise<string[]> {
    return streamChannels(this.client, this.eventPrefix);
  }

  /** Consumer groups of every stream channel (or one): pending, lag, consumers and their idle time. */
  async groups(channel?: string): Promise<StreamGroupInfo[]> {
    return streamGroups(this.client, this.eventPrefix, channel ? [channel] : await this.listStreams());
  }

  /**
   * Pub/sub channels of the event buses: subscribers now, and, with `sample`, message counts and
   * rates measured from here (the first call with `sample` starts listening to every channel under
   * the event prefix until `close`; the services write nothing for it).
   */
  async pubsub(options: { sample?: boolean } = {}): Promise<PubSubOverview> {
    if (options.sample && !this.sampler) {
      this.sampler = new PubSubSampler(this.client, this.eventPrefix);
      await this.sampler.start();
    }
    const { subscribers, sharded } = await pubsubChannels(this.client, this.eventPrefix);
    // the sampler's own SSUBSCRIBE is not a service's subscriber
    for (const name of sharded) if (this.sampler?.follows(name)) subscribers.set(name, (subscribers.get(name) ?? 1) - 1);
    await this.sampler?.followSharded(sharded);
    const rates = this.sampler?.rates() ?? new Map<string, { published: number; ratePerSec: number }>();
    const names = [...new Set([...subscribers.keys(), ...rates.keys()])].sort();
    return {
      samplingSince: this.sampler?.samplingSince ?? null,
      channels: names.map((channel) => ({
        channel,
        subscribers: subscribers.get(channel) ?? 0,
        published: rates.get(channel)?.published ?? (this.sampler ? 0 : null),
        ratePerSec: rates.get(channel)?.ratePerSec ?? (this.sampler ? 0 : null),
      })),
    };
  }

  streamKey(channel: string): string {
    return channelStreamKey(this.eventPrefix, channel);
  }

  /**
   * Follows a channel until the returned stop function is called: `pubsub` subscribes (pattern
   * when the channel has `*`), `stream` reads new entries of the channel's stream (XREAD from `$`,
   * without joining any consumer group, so no service's deliveries change).
   */
  async tail(channel: string, mode: 'pubsub' | 'stream', onEvent: (event: TailedEvent) => void): Promise<() => Promise<void>> {
    return tailChannel(this.client, this.eventPrefix, channel, mode, onEvent);
  }

  async close(): Promise<void> {
    await this.sampler?.stop();
    await this.scheduleAdmin.close();
    await Promise.all([...this.queues.values()].map((q) => q.close({ drainTimeoutMs: 0 })));
    this.queues.clear();
    if (this.options.ownsClient) await this.client.quit().catch(() => this.client.disconnect());
  }
}
