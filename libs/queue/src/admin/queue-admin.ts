import type { Cluster } from 'ioredis';
import type { QueueAppConfig } from '../config/config.types';
import { RedisPermanentError } from '../errors';
import { fieldsToEnvelope, decodeEnvelope } from '../events/cloud-event';
import type { EventEnvelope } from '../events/event-bus';
import { parseGroups } from '../events/redis-stream/stream-info';
import { queueOptionsFromConfig } from '../manager/queue-options-from-config';
import { redisConnectionOptions } from '../manager/redis-connections';
import { createQueue } from '../queue/create-queue';
import { QUEUE_NAME_PATTERN, QueueOptions } from '../queue/queue-options';
import { QueueKeys } from '../queue/redis/queue-keys';
import type { StoreBackedQueue } from '../queue/task-queue';
import { DeadLetter, MessageStatus, PeekPage, PeekTarget, PRIORITIES, Priority, QueueWorkerInfo } from '../queue/queue.types';
import type { RedisOutageLogger } from '../redis/outage-log';
import {
  closeShardedSubscriber,
  createRedisClient,
  describeRedis,
  duplicateClient,
  duplicateShardedSubscriber,
  isClusterClient,
  RedisClient,
  waitUntilReady,
} from '../redis/redis-connection';
import { createScheduler } from '../scheduler/create-scheduler';
import type { ScheduleInfo, Scheduler } from '../scheduler/scheduler';
import { escapeGlob, scanKeys } from './key-scan';
import { PubSubOverview, pubsubChannels, PubSubSampler } from './pubsub-channels';
import { InFlightMessage, QueueLatency, queueLatency, withHolders } from './queue-activity';

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

/** One queue at a glance. */
export interface QueueInfo {
  name: string;
  paused: boolean;
  tiers: Record<Priority, number>;
  /** Sum of the four tiers. */
  waiting: number;
  inflight: number;
  delayed: number;
  deadLetters: number;
  published: number;
  processed: number;
  failed: number;
  retried: number;
  deadLettered: number;
  deadLettersTrimmed: number;
  /** Processes consuming the queue now (live heartbeats). */
  workers: number;
  /** How long messages wait: oldest waiting per tier, publish-to-start p50/p95 over the last minute. */
  latency: QueueLatency;
}

/** Which dead letters an operation applies to. All filters are optional; entries are taken newest first. */
export interface DeadLetterFilter {
  /** Task type, exactly. */
  type?: string;
  /** Dead since (ms since the epoch), inclusive. */
  since?: number;
  /** At most this many entries. */
  limit?: number;
}

/** A stream consumer group, with its consumers. */
export interface StreamGroupInfo {
  channel: string;
  stream: string;
  length: number;
  group: string;
  pending: number;
  lag: number | null;
  lastDeliveredId: string;
  consumers: Array<{ name: string; pending: number; idleMs: number }>;
}

/** A schedule, with the scheduler (service) that owns it. */
export interface ScheduleEntry extends ScheduleInfo {
  scheduler: string;
}

/** A page of messages in flight (`QueueAdmin.inflight`). */
export type InFlightPage = Omit<PeekPage, 'items'> & { items: InFlightMessage[] };

export interface TailedEvent {
  channel: string;
  /** Stream entry id (streams only). */
  entryId?: string;
  event: EventEnvelope | null;
  /** The raw text when it was not a valid envelope. */
  raw?: string;
}

const QUEUE_KEY = /^\{([^}]+)\}:(q:(critical|high|normal|low)|msgs|inflight|delayed|dlq|stats|meta|done|workers)$/;
const SCHEDULER_KEY = /^\{([^}]+)\}:sch:(rec|next|once|oncedefs|stats)$/;
const STREAM_KEY = /^\{([^}]+)\}:stream$/;

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
  private readonly schedulers = new Map<string, Scheduler>();
  private sampler?: PubSubSampler;

  constructor(private readonly options: QueueAdminOptions) {
    this.client = options.client;
    this.prefix = options.prefix ?? 'mq';
    this.eventPrefix = options.eventPrefix ?? `${this.prefix}:ev`;
    this.description = options.description ?? 'redis';
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
    const connection = { ...redisConnectionOptions(config, 'admin'), connectTimeoutMs, ...(logger ? { logger } : {}) };
    const description = describeRedis(connection);
    const client = createRedisClient(connection);
    let lastError = '';
    client.on('error', (error: Error) => (lastError = error.message));
    try {
      await waitUntilReady(client, connectTimeoutMs);
    } catch (error) {
      client.disconnect();
      if (error instanceof RedisPermanentError) throw error;
      throw new AdminConnectionError(`Redis ${description} not reachable within ${connectTimeoutMs} ms${lastError ? `: ${lastError}` : ''}`);
    }
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
    const keys = await scanKeys(this.client, `${escapeGlob(this.prefix)}:{*}:*`);
    const names = new Set<string>();
    for (const key of keys) {
      const m = QUEUE_KEY.exec(key.slice(this.prefix.length + 1));
      if (m) names.add(m[1]);
    }
    return [...names].sort();
  }

  /** Whether a queue has any of its keys (a queue unknown to Redis is "not found" for operators). One EXISTS: the keys share a slot. */
  async exists(name: string): Promise<boolean> {
    if (!QUEUE_NAME_PATTERN.test(name)) return false;
    const k = new QueueKeys(this.prefix, name);
    return (await this.client.exists(...k.tiers, k.msgs, k.inflight, k.delayed, k.dlq, k.stats, k.meta, k.done, k.workers)) > 0;
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
    const queue = this.queue(name);
    const [s, paused, workers] = await Promise.all([queue.stats(), queue.isPaused(), queue.workers()]);
    const latency = await queueLatency(queue, workers);
    const tiers = s.queue_length;
    return {
      name,
      paused,
      tiers,
      waiting: PRIORITIES.reduce((sum, p) => sum + tiers[p], 0),
      inflight: s.processing_count,
      delayed: s.delayed_count,
      deadLetters: s.dead_letter_count,
      published: s.total_published,
      processed: s.total_processed,
      failed: s.total_failed,
      retried: s.total_retried,
      deadLettered: s.total_dead_letter,
      deadLettersTrimmed: s.dead_letter_trimmed,
      workers: workers.length,
      latency,
    };
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

  /** Dead letters matching the filter, newest first (pages through the queue's DLQ). */
  async deadLetters(name: string, filter: DeadLetterFilter = {}): Promise<{ items: DeadLetter[]; total: number }> {
    const dlq = this.queue(name).deadLetters;
    const limit = filter.limit ?? Infinity;
    const items: DeadLetter[] = [];
    let total = 0;
    for (let offset = 0; items.length < limit; offset += 500) {
      const page = await dlq.list({ offset, limit: 500 });
      total = page.total;
      let older = false;
      for (const item of page.items) {
        if (filter.since !== undefined && item.deadAt < filter.since) {
          older = true;
          break;
        }
        if (filter.type !== undefined && item.type !== filter.type) continue;
        items.push(item);
        if (items.length >= limit) break;
      }
      if (older || page.items.length < 500) break;
    }
    return { items, total };
  }

  deadLetter(name: string, id: string): Promise<DeadLetter | null> {
    return this.queue(name).deadLetters.get(id);
  }

  /** Replays the given ids; returns those replayed (absent ones are skipped). */
  async replay(name: string, ids: string[]): Promise<string[]> {
    const dlq = this.queue(name).deadLetters;
    return this.each(ids, async (id) => {
      try {
        await dlq.replay(id);
        return true;
      } catch (error) {
        if ((error as Error).name === 'DeadLetterNotFoundError') return false;
        throw error;
      }
    });
  }

  /** Deletes the given ids; returns those deleted. */
  async deleteDeadLetters(name: string, ids: string[]): Promise<string[]> {
    const dlq = this.queue(name).deadLetters;
    return this.each(ids, (id) => dlq.delete(id));
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
    const keys = await scanKeys(this.client, `${escapeGlob(this.prefix)}:{*}:sch:*`);
    const names = new Set<string>();
    for (const key of keys) {
      const m = SCHEDULER_KEY.exec(key.slice(this.prefix.length + 1));
      if (m) names.add(m[1]);
    }
    return [...names].sort();
  }

  /** Every schedule (one-off and recurring) of every scheduler, or of one. */
  async schedules(schedulerName?: string): Promise<ScheduleEntry[]> {
    const names = schedulerName ? [schedulerName] : await this.listSchedulers();
    const out: ScheduleEntry[] = [];
    for (const name of names) {
      for (const info of await this.scheduler(name).list()) out.push({ ...info, scheduler: name });
    }
    return out.sort((a, b) => a.nextRunAt - b.nextRunAt);
  }

  /** Cancels a one-off schedule or removes a recurring one by id (`once:...`, `recurring:<key>`) in the schedulers that list it; returns their names (empty: not found). */
  async cancelSchedule(id: string, schedulerName?: string): Promise<string[]> {
    // only the schedulers that list the id: a one-off id would be cancelled in its queue by any of them
    const owners = [...new Set((await this.schedules(schedulerName)).filter((s) => s.id === id).map((s) => s.scheduler))];
    const done: string[] = [];
    for (const name of owners) if (await this.scheduler(name).cancel(id)) done.push(name);
    return done;
  }

  private scheduler(name: string): Scheduler {
    let scheduler = this.schedulers.get(name);
    if (!scheduler) {
      scheduler = createScheduler({
        name,
        autoStart: false,
        backend: { type: 'redis', client: this.client, prefix: this.prefix, queuePrefix: this.prefix },
      });
      this.schedulers.set(name, scheduler);
    }
    return scheduler;
  }

  /** Channels that have a stream under the event prefix. */
  async listStreams(): Promise<string[]> {
    const keys = await scanKeys(this.client, `${escapeGlob(this.eventPrefix)}:{*}:stream`);
    const names = new Set<string>();
    for (const key of keys) {
      const m = STREAM_KEY.exec(key.slice(this.eventPrefix.length + 1));
      if (m) names.add(m[1]);
    }
    return [...names].sort();
  }

  /** Consumer groups of every stream channel (or one): pending, lag, consumers and their idle time. */
  async groups(channel?: string): Promise<StreamGroupInfo[]> {
    const channels = channel ? [channel] : await this.listStreams();
    const out: StreamGroupInfo[] = [];
    for (const ch of channels) {
      const stream = this.streamKey(ch);
      let groups;
      try {
        groups = parseGroups(ch, (await this.client.xinfo('GROUPS', stream)) as unknown[]);
      } catch (error) {
        if (/no such key/i.test((error as Error).message)) continue;
        throw error;
      }
      const length = await this.client.xlen(stream);
      for (const g of groups) {
        const consumers = ((await this.client.xinfo('CONSUMERS', stream, g.group)) as unknown[][]).map((raw) => {
          const m: Record<string, unknown> = {};
          for (let i = 0; i + 1 < raw.length; i += 2) m[String(raw[i])] = raw[i + 1];
          return { name: String(m.name), pending: Number(m.pending ?? 0), idleMs: Number(m.idle ?? 0) };
        });
        out.push({ channel: ch, stream, length, group: g.group, pending: g.pending, lag: g.lag, lastDeliveredId: g.lastDeliveredId, consumers });
      }
    }
    return out;
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
    return `${this.eventPrefix}:{${channel}}:stream`;
  }

  /**
   * Follows a channel until the returned stop function is called: `pubsub` subscribes (pattern
   * when the channel has `*`), `stream` reads new entries of the channel's stream (XREAD from `$`,
   * without joining any consumer group, so no service's deliveries change).
   */
  async tail(channel: string, mode: 'pubsub' | 'stream', onEvent: (event: TailedEvent) => void): Promise<() => Promise<void>> {
    const sharded = mode === 'pubsub' && isClusterClient(this.client);
    const reader = sharded ? duplicateShardedSubscriber(this.client as Cluster) : duplicateClient(this.client);
    reader.on('error', () => undefined);
    if (mode === 'pubsub') {
      const redisChannel = `${this.eventPrefix}:${channel}`;
      const emit = (name: string, text: string) => {
        const event = decodeEnvelope(text);
        onEvent({ channel: name.slice(this.eventPrefix.length + 1), event, ...(event ? {} : { raw: text }) });
      };
      if (channel.includes('*')) {
        reader.on('pmessage', (_p: string, name: string, text: string) => emit(name, text));
        await reader.psubscribe(redisChannel);
      } else {
        reader.on('message', (name: string, text: string) => emit(name, text));
        await reader.subscribe(redisChannel);
      }
      if (sharded) {
        // services on a Cluster publish with SPUBLISH by default (event_bus.sharded_pubsub): follow both kinds
        reader.on('smessage', (name: string, text: string) => emit(name, text));
        if (!channel.includes('*')) await reader.ssubscribe(redisChannel);
      }
      if (sharded && !channel.includes('*')) return () => closeShardedSubscriber(reader as Cluster, [redisChannel]);
      return async () => void reader.disconnect();
    }
    const stream = this.streamKey(channel);
    let stopped = false;
    // start after the newest entry now (not `$` at the first read: the reader may connect later and miss entries)
    const newest = (await this.client.xrevrange(stream, '+', '-', 'COUNT', 1))[0];
    let last = newest ? newest[0] : '0-0';
    const loop = (async () => {
      while (!stopped) {
        const reply = (await reader.xread('COUNT', 100, 'BLOCK', 1000, 'STREAMS', stream, last).catch(() => null)) as Array<
          [string, Array<[string, string[]]>]
        > | null;
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            last = id;
            onEvent({ channel, entryId: id, event: fieldsToEnvelope(fields) });
          }
        }
      }
    })();
    return async () => {
      stopped = true;
      reader.disconnect();
      await loop;
    };
  }

  async close(): Promise<void> {
    this.sampler?.stop();
    await Promise.all([...this.schedulers.values()].map((s) => s.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close({ drainTimeoutMs: 0 })));
    this.queues.clear();
    this.schedulers.clear();
    if (this.options.ownsClient) await this.client.quit().catch(() => this.client.disconnect());
  }

  private async each(ids: string[], action: (id: string) => Promise<boolean>): Promise<string[]> {
    const done: string[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      const chunk = ids.slice(i, i + 100);
      const results = await Promise.all(chunk.map(action));
      chunk.forEach((id, j) => results[j] && done.push(id));
    }
    return done;
  }
}

/** Redis did not answer within the connect timeout (the message names the masked address). */
export class AdminConnectionError extends Error {
  override readonly name = 'AdminConnectionError';
}
