import type { QueueAppConfig } from '../config/config.types';
import { InvalidOptionError, QueueConfigError } from '../errors';
import { queueOptionsFromConfig } from '../manager/queue-options-from-config';
import { createQueue } from '../queue/create-queue';
import type { QueueOptions } from '../queue/queue-options';
import { QueueKeys } from '../queue/redis/queue-keys';
import { partitionTags } from '../queue/partitioned/partition-layout';
import type { StoreBackedQueue } from '../queue/task-queue';
import type { DeadLetter, DeadLetterQueue, MessageStatus, Priority } from '../queue/queue.types';
import type { PeekPage, PeekTarget, QueueWorkerInfo } from '../queue/queue-inspection.types';
import type { RedisOutageLogger } from '../redis/outage-log';
import { checkRedisClient, RedisClient } from '../redis/redis-connection';
import {
  checkKnownKeys,
  checkOption,
  checkQueueName,
  checkTaskType,
  knownKeys,
  QUEUE_NAME_EXPECTED,
  QUEUE_NAME_PATTERN,
  stringField,
  timerMsField,
  callOptions,
} from '../util/fields';
import { checkId, checkIds, checkPage } from '../queue/call-arguments';
import { connectAdminClient } from './admin-connection';
import { checkChannel, checkFlag, checkFunction, checkInt, checkPeekTarget, checkPriority, checkSchedulerName, checkTail, isObject } from './admin-arguments';
import {
  checkDeadLetterFilter,
  checkScanMax,
  DeadLetterFilter,
  DeadLetterSelection,
  deleteDeadLetters,
  findDeadLetters,
  replayDeadLetters,
} from './dead-letter-admin';
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

const ADMIN_OPTION_KEYS = knownKeys<QueueAdminOptions>({
  client: true,
  prefix: true,
  eventPrefix: true,
  queueOptions: true,
  ownsClient: true,
  description: true,
});
/** Key prefixes (config `redis.key_prefix`, an event bus's `prefix`). */
const PREFIX = stringField(/^[A-Za-z0-9_.:-]{1,100}$/, 'a prefix of 1..100 characters from [A-Za-z0-9_.:-]');

/** Checks the options of `new QueueAdmin`; throws {@link InvalidOptionError} at `queueAdmin.<key>`. */
function checkAdminOptions(options: unknown): void {
  if (!isObject(options)) throw new InvalidOptionError('queueAdmin', options, 'an options object { client, prefix, ... }');
  checkKnownKeys(options, ADMIN_OPTION_KEYS, 'queueAdmin', InvalidOptionError);
  const at = (key: string) => `queueAdmin.${key}`;
  checkAdminClient(options.client);
  checkOption(PREFIX.optional(), options.prefix, at('prefix'), InvalidOptionError);
  checkOption(PREFIX.optional(), options.eventPrefix, at('eventPrefix'), InvalidOptionError);
  checkFunction(options.queueOptions, at('queueOptions'), true);
  checkFlag(options.ownsClient, at('ownsClient'));
  checkOption(stringField().optional(), options.description, at('description'), InvalidOptionError);
}

/** The client option: an ioredis client (the library's client check, as an {@link InvalidOptionError}). */
function checkAdminClient(client: unknown): void {
  try {
    checkRedisClient(client, 'queueAdmin.client');
  } catch (error) {
    if (error instanceof QueueConfigError) throw new InvalidOptionError(error.path, error.found, error.expected);
    throw error;
  }
}

/** The arguments of `QueueAdmin.fromConfig`: a parsed configuration, a timeout of ms, an outage logger. */
function checkFromConfig(config: unknown, connectTimeoutMs: unknown, logger: unknown): number {
  if (!isObject(config) || !isObject(config.redis))
    throw new InvalidOptionError('fromConfig.config', config, 'a parsed configuration (loadConfig, parseConfig)');
  if (logger !== undefined && !(isObject(logger) && typeof logger.log === 'function' && typeof logger.warn === 'function')) {
    throw new InvalidOptionError('fromConfig.logger', logger, 'a logger { log, warn }');
  }
  return checkOption(timerMsField(1).default(config.redis.connect_timeout_ms as number), connectTimeoutMs, 'fromConfig.connectTimeoutMs', InvalidOptionError);
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

  /** @throws InvalidOptionError naming a bad or unknown option (`queueAdmin.client`, ...). */
  constructor(private readonly options: QueueAdminOptions) {
    checkAdminOptions(options);
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
    connectTimeoutMs?: number,
    /** Where the connection's outage lines go (default: the console logger); a CLI that reports failures itself passes a quiet one. */
    logger?: RedisOutageLogger,
  ): Promise<QueueAdmin> {
    const timeoutMs = checkFromConfig(config, connectTimeoutMs, logger);
    const { client, description } = await connectAdminClient(config, timeoutMs, logger);
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
    if (typeof name !== 'string') throw new InvalidOptionError('exists.name', name, QUEUE_NAME_EXPECTED);
    if (!QUEUE_NAME_PATTERN.test(name)) return false;
    for (const tag of partitionTags(name, this.options.queueOptions?.(name).partitions ?? 1)) {
      const k = new QueueKeys(this.prefix, tag);
      if ((await this.client.exists(...k.tiers, k.msgs, k.inflight, k.delayed, k.dlq, k.stats, k.meta, k.done, k.workers)) > 0) return true;
    }
    return false;
  }

  /** The queue of that name, for reading and operator actions (no handler runs in it). */
  queue(name: string): StoreBackedQueue {
    return this.open(named(name, 'queue'));
  }

  /** The queue of a checked name, opened once. */
  private open(name: string): StoreBackedQueue {
    let queue = this.queues.get(name);
    if (!queue) {
      const options = this.options.queueOptions?.(name) ?? { name };
      queue = createQueue({ ...options, name, outbox: { enabled: false }, backend: { type: 'redis', client: this.client, prefix: this.prefix } });
      this.queues.set(name, queue);
    }
    return queue;
  }

  async info(name: string): Promise<QueueInfo> {
    return queueInfo(name, this.open(named(name, 'info')));
  }

  /** A queue's rate limits, their token buckets now and the messages parked behind them, per type over at most `scanMax` (admin/rate-limits.ts). */
  async rateLimits(name: string, scanMax?: number): Promise<QueueRateLimits> {
    const queue = this.open(named(name, 'rateLimits'));
    const scan = checkInt(scanMax, 'rateLimits.scanMax', 0, RATE_SCAN_MAX, RATE_SCAN_DEFAULT);
    return readRateLimits(queue, await queue.workers(), scan);
  }

  /**
   * A queue's message groups (docs/queue.md, "Groups"; not the stream consumer groups of `groups`):
   * those of the first `limit` places of each tier's rotation, the blocked ones and those with
   * messages in flight, each with its ready messages per tier, in flight, blocked and oldest age;
   * at most `limit` listed (admin/queue-groups.ts).
   */
  async queueGroups(name: string, limit?: number): Promise<QueueGroups> {
    const queue = this.open(named(name, 'queueGroups'));
    return readQueueGroups(queue, checkInt(limit, 'queueGroups.limit', 1, GROUPS_LIMIT_MAX, 100));
  }

  /** The processes consuming a queue (host, pid, concurrency, held, publish-to-start counts), from their heartbeats. */
  async workers(name: string): Promise<QueueWorkerInfo[]> {
    return this.open(named(name, 'workers')).workers();
  }

  /** Messages in flight, soonest lease end first, each with how long it has been held and the worker holding it. */
  async inflight(name: string, options?: { offset?: number; limit?: number }): Promise<InFlightPage> {
    const queue = this.open(named(name, 'inflight'));
    const page = checkPage(options, 'inflight');
    const [peeked, workers] = await Promise.all([queue.peek('inflight', page), queue.workers()]);
    return withHolders(peeked, workers);
  }

  /** `info` of every queue under the prefix. */
  async overview(): Promise<QueueInfo[]> {
    return Promise.all((await this.listQueues()).map((name) => this.info(name)));
  }

  /** A page of a tier (head first), of the messages in flight, delayed or completed, without taking any. */
  async peek(name: string, target: PeekTarget, options?: { offset?: number; limit?: number }): Promise<PeekPage> {
    const queue = this.open(named(name, 'peek'));
    return queue.peek(checkPeekTarget(target, 'peek.target'), checkPage(options, 'peek'));
  }

  /** Where one message is (null: not found). */
  async status(name: string, id: string): Promise<MessageStatus | null> {
    const queue = this.open(named(name, 'status'));
    return queue.getStatus(checkId(id, 'status.id'));
  }

  /**
   * Dead letters matching the filter, newest first (pages through the queue's DLQ), with the DLQ's
   * `total` and how many match (`matched`: with a filter, counted over at least `scanMax` entries,
   * default 10 000; `matchedExact` false when the count stopped there).
   */
  async deadLetters(name: string, filter?: DeadLetterFilter, scanMax?: number): Promise<DeadLetterSelection> {
    const queue = this.open(named(name, 'deadLetters'));
    const checked = checkDeadLetterFilter(filter, 'deadLetters.filter');
    return findDeadLetters(queue.deadLetters, checked, checkScanMax(scanMax, 'deadLetters.scanMax'));
  }

  /** One dead letter in full (null: not found). */
  async deadLetter(name: string, id: string): Promise<DeadLetter | null> {
    const queue = this.open(named(name, 'deadLetter'));
    return queue.deadLetters.get(checkId(id, 'deadLetter.id'));
  }

  /** Replays the given ids; returns those replayed (absent ones are skipped). */
  async replay(name: string, ids: string[]): Promise<string[]> {
    const queue = this.open(named(name, 'replay'));
    return replayDeadLetters(queue.deadLetters, checkIds(ids, 'replay.ids'));
  }

  /** Deletes the given ids; returns those deleted. */
  async deleteDeadLetters(name: string, ids: string[]): Promise<string[]> {
    const queue = this.open(named(name, 'deleteDeadLetters'));
    return deleteDeadLetters(queue.deadLetters, checkIds(ids, 'deleteDeadLetters.ids'));
  }

  /** Replays every dead letter matching the filter (checked before any is read); returns the ids replayed. */
  async replayMatching(name: string, filter?: DeadLetterFilter): Promise<string[]> {
    const { dlq, items } = await this.matching(name, filter, 'replayMatching');
    return replayDeadLetters(
      dlq,
      items.map((d) => d.id),
    );
  }

  /** Deletes every dead letter matching the filter (checked before any is read); returns the ids deleted. */
  async purgeMatching(name: string, filter?: DeadLetterFilter): Promise<string[]> {
    const { dlq, items } = await this.matching(name, filter, 'purgeMatching');
    return deleteDeadLetters(
      dlq,
      items.map((d) => d.id),
    );
  }

  /** The dead letters of `replayMatching` / `purgeMatching` (`method`, for the paths of their errors). */
  private async matching(name: string, filter: unknown, method: string): Promise<{ dlq: DeadLetterQueue; items: DeadLetter[] }> {
    const queue = this.open(named(name, method));
    const checked = checkDeadLetterFilter(filter, `${method}.filter`);
    return { dlq: queue.deadLetters, items: (await findDeadLetters(queue.deadLetters, checked)).items };
  }

  /** Stops every worker of the queue from taking new messages (publishing still works). */
  async pause(name: string): Promise<void> {
    return this.open(named(name, 'pause')).pause();
  }

  /** Lets the workers take messages again. */
  async resume(name: string): Promise<void> {
    return this.open(named(name, 'resume')).resume();
  }

  /** Publishes one message (operators' tests); returns its id. */
  async publish(name: string, type: string, payload: unknown, priority?: Priority): Promise<string> {
    const queue = this.open(named(name, 'publish'));
    return queue.publish({ type: checkTaskType(type, 'publish.type'), payload, priority: checkPriority(priority, 'publish.priority') });
  }

  /** Names of the schedulers (services) that have keys under the prefix. */
  async listSchedulers(): Promise<string[]> {
    return this.scheduleAdmin.listSchedulers();
  }

  /** Every schedule (one-off and recurring) of every scheduler, or of one. */
  async schedules(schedulerName?: string): Promise<ScheduleEntry[]> {
    return this.scheduleAdmin.schedules(checkSchedulerName(schedulerName, 'schedules.schedulerName'));
  }

  /** Cancels a one-off schedule or removes a recurring one by id (`once:...`, `recurring:<key>`) in the schedulers that list it; returns their names (empty: not found). */
  async cancelSchedule(id: string, schedulerName?: string): Promise<string[]> {
    const checked = checkId(id, 'cancelSchedule.id');
    return this.scheduleAdmin.cancelSchedule(checked, checkSchedulerName(schedulerName, 'cancelSchedule.schedulerName'));
  }

  /** Channels that have a stream under the event prefix. */
  async listStreams(): Promise<string[]> {
    return streamChannels(this.client, this.eventPrefix);
  }

  /** Consumer groups of every stream channel (or one): pending, lag, consumers and their idle time. */
  async groups(channel?: string): Promise<StreamGroupInfo[]> {
    const channels = channel === undefined ? await this.listStreams() : [checkChannel(channel, 'groups.channel')];
    return streamGroups(this.client, this.eventPrefix, channels);
  }

  /**
   * Pub/sub channels of the event buses: subscribers now, and, with `sample`, message counts and
   * rates measured from here (the first call with `sample` starts listening to every channel under
   * the event prefix until `close`; the services write nothing for it).
   */
  async pubsub(options?: { sample?: boolean }): Promise<PubSubOverview> {
    const sample = checkFlag(callOptions(options, PUBSUB_KEYS, 'pubsub').sample, 'pubsub.sample');
    if (sample && !this.sampler) {
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

  /** The stream key of a channel under the event prefix. */
  streamKey(channel: string): string {
    return channelStreamKey(this.eventPrefix, checkChannel(channel, 'streamKey.channel'));
  }

  /**
   * Follows a channel until the returned stop function is called: `pubsub` subscribes (pattern
   * when the channel has `*`, `?` or `[`), `stream` reads new entries of the channel's stream (XREAD from `$`,
   * without joining any consumer group, so no service's deliveries change). The arguments are
   * checked before anything is subscribed (`tail.mode`, `tail.channel`, `tail.onEvent`). When
   * `onEvent` throws, the tail ends there (nothing more delivered, its connection closed) and the
   * stop function rejects with what was thrown.
   */
  async tail(channel: string, mode: 'pubsub' | 'stream', onEvent: (event: TailedEvent) => void): Promise<() => Promise<void>> {
    checkTail(channel, mode, onEvent);
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

/** `rateLimits`' `scanMax`: bounds and default (as `TaskQueue.rateState`). */
const RATE_SCAN_MAX = 1_000_000;
const RATE_SCAN_DEFAULT = 10_000;
/** The most groups `queueGroups` lists (as `TaskQueue.groupList`). */
const GROUPS_LIMIT_MAX = 100_000;
const PUBSUB_KEYS = knownKeys<{ sample?: boolean }>({ sample: true });

/** A queue name given to `method` (`<method>.name` names a bad one). */
function named(name: unknown, method: string): string {
  return checkQueueName(name, `${method}.name`, InvalidOptionError);
}
