import type { QueueLogger } from '../../logger';
import type { LuaCommands } from '../../redis/lua-loader';
import { refusalOf } from '../../redis/permanent-error-guard';
import { isConnectionError, RedisClient } from '../../redis/redis-connection';
import { checkBatchChars } from '../../util/batch-size';
import { Outbox } from '../../util/outbox';
import { OutboxSender } from '../../redis/outbox-sender';
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
  /** The event's stream fields (envelopeToFields), encoded once when the event was kept. */
  row: string[];
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
  private readonly sender?: OutboxSender<OutboxItem>;

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
      this.sender = new OutboxSender(
        this.outbox,
        opts.client,
        {
          send: (batch) =>
            this.write(
              batch[0].channel,
              batch.map((item) => item.row),
              batch.map((item) => item.partitionKey),
            ),
          batches: { sameBatch: (a, b) => a.channel === b.channel, sizeOf: (item) => rowChars(item.row) },
          noun: 'event',
          idOf: (item) => item.event.id,
          idsLogged: 10,
        },
        logger,
      );
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
    const refused = outbox && refusalOf(this.opts.client); // the outbox bridges outages, not refusals (a rotated password)
    if (refused) throw refused;
    // encoded once: checked here, written now or from the outbox
    const rows = events.map(envelopeToFields);
    // refused now, not when the outbox sends it (a write checks the same; see util/batch-size.ts)
    checkBatchChars(`channel "${channel}"`, events.length, rowsChars(rows), 'events');
    if (outbox && (this.opts.client.status !== 'ready' || outbox.size > 0)) {
      outbox.add(itemsOf(channel, events, rows, partitionKeys));
      void this.sender?.flush();
      return;
    }
    try {
      await this.write(channel, rows, partitionKeys);
    } catch (error) {
      if (!outbox || !isConnectionError(error)) throw error;
      this.logger.warn(`Redis unreachable (${(error as Error).message}); ${events.length} event(s) kept in the outbox`);
      outbox.add(itemsOf(channel, events, rows, partitionKeys));
      void this.sender?.flush();
    }
  }

  /** Stops the outbox's retries, sends what waits if Redis is ready (at most `timeoutMs`), and returns what is left. */
  async release(timeoutMs: number): Promise<UnsentEvent[]> {
    if (!this.sender) return [];
    const unsent = await this.sender.close(timeoutMs);
    return unsent.map(({ channel, event }) => ({ channel, event }));
  }

  /** Records the channel in the registry set (once per process), for pattern subscribers. */
  async register(channel: string): Promise<void> {
    if (this.registered.has(channel)) return;
    const registry = StreamKeys.registry(this.opts.prefix);
    // a read first: on a Redis at maxmemory SADD is refused (OOM) even for a member the set has
    if (!(await this.opts.client.sismember(registry, channel))) await this.opts.client.sadd(registry, channel);
    this.registered.add(channel);
  }

  /** Writes encoded events (`rows`, one per event) to the channel's stream(s); the batch was size-checked by send(). */
  private async write(channel: string, rows: string[][], partitionKeys: Array<string | undefined>): Promise<void> {
    const retention = this.opts.channelRetention[channel] ?? this.opts.retention;
    // Registered first: a registration failing after the append would keep the events in the
    // outbox and send them twice.
    await this.register(channel);
    for (const [partition, part] of this.byPartition(channel, rows, partitionKeys)) {
      const keys = new StreamKeys(this.opts.prefix, channel, partition);
      await this.lua.run(this.opts.client, 'publish', [keys.stream], [retention.maxLen, retention.maxAgeMs, part.length, part[0].length, ...part.flat()]);
      this.onPublished(part.length);
    }
  }

  /** The rows of a batch per partition, in batch order: by key hash, else all in the channel's next partition. */
  private byPartition(channel: string, rows: string[][], partitionKeys: Array<string | undefined>): Map<number, string[][]> {
    const partitions = this.partitionsOf(channel);
    if (partitions === 1) return new Map([[0, rows]]);
    const next = this.turn.get(channel) ?? 0;
    this.turn.set(channel, (next + 1) % partitions);
    const out = new Map<number, string[][]>();
    rows.forEach((row, i) => {
      const key = partitionKeys[i];
      const partition = key === undefined ? next : partitionOf(key, partitions);
      const list = out.get(partition);
      if (list) list.push(row);
      else out.set(partition, [row]);
    });
    return out;
  }
}

/** The outbox items of a batch (events with their encoded rows). */
function itemsOf(channel: string, events: EventEnvelope[], rows: string[][], partitionKeys: Array<string | undefined>): OutboxItem[] {
  return events.map((event, i) => ({ channel, event, row: rows[i], partitionKey: partitionKeys[i] }));
}

/** Characters of the events' fields (what one publish script call carries). */
function rowsChars(rows: readonly string[][]): number {
  let n = 0;
  for (const row of rows) n += rowChars(row);
  return n;
}

/** Characters of one event's fields. */
function rowChars(row: readonly string[]): number {
  let n = 0;
  for (const field of row) n += field.length;
  return n;
}
