import type { QueueLogger } from '../../logger';
import type { LuaCommands } from '../../redis/lua-loader';
import { refusalOf } from '../../redis/permanent-error-guard';
import { isConnectionError, RedisClient } from '../../redis/redis-connection';
import { checkBatchChars } from '../../util/batch-size';
import { Outbox } from '../../util/outbox';
import { partitionOf } from '../../util/partition';
import { envelopeToFields } from '../cloud-event';
import type { EventEnvelope, UnsentEvent } from '../event-bus';
import type { ResolvedStreamOptions } from '../event-bus-options';
import { StreamKeys, StreamScript } from './stream-keys';

/** What the publisher reads of the stream bus settings. */
export type StreamPublisherSettings = Pick<ResolvedStreamOptions, 'retention' | 'channelRetention' | 'outboxEnabled' | 'outboxMaxSize'> & {
  client: RedisClient;
  prefix: string;
  serviceName: string;
};

interface OutboxItem {
  channel: string;
  event: EventEnvelope;
  partitionKey?: string;
}

/**
 * The publish side of the stream bus: appends a batch to its channel's stream(s), one append per
 * partition ({@link StreamKeys}), and records the channel in the registry set for pattern
 * subscribers. Backup producer: while Redis is unreachable, publishes go to a bounded outbox
 * (`outbox.maxSize`) and are sent in order when Redis is back; a full outbox rejects with
 * OutboxFullError.
 */
export class StreamPublisher {
  /** Next partition of a batch without partition keys, per channel. */
  private readonly turn = new Map<string, number>();
  private readonly registered = new Set<string>();
  private readonly outbox?: Outbox<OutboxItem>;
  private readonly onReady = () => void this.flushOutbox();
  private flushTimer?: NodeJS.Timeout;

  /**
   * @param partitionsOf partitions of a channel
   * @param onPublished  called with the number of events appended by each write
   */
  constructor(
    private readonly opts: StreamPublisherSettings,
    private readonly lua: LuaCommands<StreamScript>,
    private readonly logger: QueueLogger,
    private readonly partitionsOf: (channel: string) => number,
    private readonly onPublished: (count: number) => void,
  ) {
    if (opts.outboxEnabled) {
      this.outbox = new Outbox<OutboxItem>(opts.outboxMaxSize, `event outbox of ${opts.serviceName}`);
      opts.client.on('ready', this.onReady);
      this.flushTimer = setInterval(() => void this.flushOutbox(), 500);
      this.flushTimer.unref();
    }
  }

  /** Events waiting in the outbox. */
  get outboxSize(): number {
    return this.outbox?.size ?? 0;
  }

  /** Channels this process registered (wrote to or subscribed to). */
  get registeredChannels(): ReadonlySet<string> {
    return this.registered;
  }

  /** Appends the events (per partition), or keeps them in the outbox while Redis is unreachable or the outbox still holds older ones. */
  async send(channel: string, events: EventEnvelope[], partitionKeys: Array<string | undefined>): Promise<void> {
    const outbox = this.outbox;
    const items = () => events.map((event, i) => ({ channel, event, partitionKey: partitionKeys[i] }));
    const refused = outbox && refusalOf(this.opts.client); // the outbox bridges outages, not refusals (a rotated password)
    if (refused) throw refused;
    if (outbox && (this.opts.client.status !== 'ready' || outbox.size > 0)) {
      // refused now, not when the outbox sends it (a write checks the same; see util/batch-size.ts)
      checkBatchChars(`channel "${channel}"`, events.length, rowsChars(events.map(envelopeToFields)), 'events');
      outbox.add(items());
      if (!outbox.isFlushing) void this.flushOutbox();
      return;
    }
    try {
      await this.write(channel, events, partitionKeys);
    } catch (error) {
      if (!outbox || !isConnectionError(error)) throw error;
      this.logger.warn(`Redis unreachable (${(error as Error).message}); ${events.length} event(s) kept in the outbox`);
      outbox.add(items());
    }
  }

  /** Stops the outbox timer and listener, sends what waits if Redis is ready (at most `timeoutMs`), and returns what is left. */
  async release(timeoutMs: number): Promise<UnsentEvent[]> {
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.opts.client.off('ready', this.onReady);
    const outbox = this.outbox;
    if (!outbox || outbox.size === 0) return [];
    if (this.opts.client.status === 'ready') {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.flushOutbox(), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    }
    const unsent = outbox.takeAll();
    if (unsent.length > 0) {
      this.logger.error(
        `closed with ${unsent.length} event(s) not sent (Redis unreachable): ${unsent
          .slice(0, 10)
          .map((u) => u.event.id)
          .join(', ')}${unsent.length > 10 ? ', ...' : ''}`,
      );
    }
    return unsent;
  }

  /** Records the channel in the registry set (once per process), for pattern subscribers. */
  async register(channel: string): Promise<void> {
    if (this.registered.has(channel)) return;
    await this.opts.client.sadd(StreamKeys.registry(this.opts.prefix), channel);
    this.registered.add(channel);
  }

  private async write(channel: string, events: EventEnvelope[], partitionKeys: Array<string | undefined>): Promise<void> {
    const retention = this.opts.channelRetention[channel] ?? this.opts.retention;
    const parts = [...this.byPartition(channel, events, partitionKeys)].map(([partition, part]) => ({ partition, part, rows: part.map(envelopeToFields) }));
    checkBatchChars(
      `channel "${channel}"`,
      events.length,
      parts.reduce((n, p) => n + rowsChars(p.rows), 0),
      'events',
    );
    // Registered first: a registration failing after the append would keep the events in the
    // outbox and send them twice.
    await this.register(channel);
    for (const { partition, part, rows } of parts) {
      const keys = new StreamKeys(this.opts.prefix, channel, partition);
      await this.lua.run(this.opts.client, 'publish', [keys.stream], [retention.maxLen, retention.maxAgeMs, rows.length, rows[0].length, ...rows.flat()]);
      this.onPublished(part.length);
    }
  }

  /** The events of a batch per partition, in batch order: by key hash, else all in the channel's next partition. */
  private byPartition(channel: string, events: EventEnvelope[], partitionKeys: Array<string | undefined>): Map<number, EventEnvelope[]> {
    const partitions = this.partitionsOf(channel);
    if (partitions === 1) return new Map([[0, events]]);
    const next = this.turn.get(channel) ?? 0;
    this.turn.set(channel, (next + 1) % partitions);
    const out = new Map<number, EventEnvelope[]>();
    events.forEach((event, i) => {
      const key = partitionKeys[i];
      const partition = key === undefined ? next : partitionOf(key, partitions);
      const list = out.get(partition);
      if (list) list.push(event);
      else out.set(partition, [event]);
    });
    return out;
  }

  private async flushOutbox(): Promise<void> {
    const outbox = this.outbox;
    if (!outbox || outbox.size === 0 || this.opts.client.status !== 'ready') return;
    try {
      const sent = await outbox.flush(
        (batch) =>
          this.write(
            batch[0].channel,
            batch.map((item) => item.event),
            batch.map((item) => item.partitionKey),
          ),
        {
          sameBatch: (a, b) => a.channel === b.channel,
        },
      );
      if (sent > 0) this.logger.log(`sent ${sent} event(s) from the outbox`);
    } catch (error) {
      this.logger.warn(`outbox flush stopped, will retry: ${(error as Error).message}`);
    }
  }
}

/** Characters of the events' fields (what one publish script call carries). */
function rowsChars(rows: readonly string[][]): number {
  let n = 0;
  for (const row of rows) for (const field of row) n += field.length;
  return n;
}
