import { decodeEnvelope, fieldsToEnvelope, isGlobPattern } from '../events/cloud-event';
import type { EventEnvelope } from '../events/event-bus';
import { parseGroups } from '../events/redis-stream/stream-info';
import type { Cluster } from 'ioredis';
import { closeShardedSubscriber, duplicateClient, duplicateShardedSubscriber, isClusterClient, RedisClient } from '../redis/redis-connection';

/** How long each XREAD of a tailed stream blocks (ms). */
const TAIL_BLOCK_MS = 1000;

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

export interface TailedEvent {
  channel: string;
  /** Stream entry id (streams only). */
  entryId?: string;
  event: EventEnvelope | null;
  /** The raw text when it was not a valid envelope. */
  raw?: string;
}

/** The stream key of a channel under the event prefix. */
export function streamKey(eventPrefix: string, channel: string): string {
  return `${eventPrefix}:{${channel}}:stream`;
}

/** Consumer groups of the channels' streams: pending, lag, consumers and their idle time (a channel without a stream is skipped). */
export async function streamGroups(client: RedisClient, eventPrefix: string, channels: string[]): Promise<StreamGroupInfo[]> {
  const out: StreamGroupInfo[] = [];
  for (const ch of channels) {
    const stream = streamKey(eventPrefix, ch);
    let groups;
    try {
      groups = parseGroups(ch, (await client.xinfo('GROUPS', stream)) as unknown[]);
    } catch (error) {
      if (/no such key/i.test((error as Error).message)) continue;
      throw error;
    }
    const length = await client.xlen(stream);
    for (const g of groups) {
      const consumers = ((await client.xinfo('CONSUMERS', stream, g.group)) as unknown[][]).map((raw) => {
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
 * Follows a channel until the returned stop function is called: `pubsub` subscribes (pattern
 * when the channel has `*`, `?` or `[`), `stream` reads new entries of the channel's stream (XREAD from `$`,
 * without joining any consumer group, so no service's deliveries change). When `onEvent` throws,
 * the tail ends there (nothing more is delivered, the reader is closed) and the stop function
 * rejects with what it threw.
 */
export async function tailChannel(
  client: RedisClient,
  eventPrefix: string,
  channel: string,
  mode: 'pubsub' | 'stream',
  onEvent: (event: TailedEvent) => void,
): Promise<() => Promise<void>> {
  let failure: { error: unknown } | undefined;
  const reader: { close?: () => Promise<void> } = {}; // known once subscribed
  let closing: Promise<void> | undefined;
  const end = () => (closing ??= reader.close ? reader.close() : Promise.resolve());
  const deliver = (event: TailedEvent) => {
    if (failure || closing) return;
    try {
      onEvent(event);
    } catch (error) {
      failure = { error };
      if (reader.close) void end().catch(() => undefined); // its failure reaches stop(); else ended below, once the reader is known
    }
  };
  reader.close = await (mode === 'pubsub' ? tailPubSub(client, eventPrefix, channel, deliver) : tailStream(client, eventPrefix, channel, deliver));
  if (failure) void end().catch(() => undefined);
  return async () => {
    await end();
    if (failure) throw failure.error;
  };
}

/** Subscribes to the channel (or pattern; sharded too on a Cluster); returns what closes the reader. */
async function tailPubSub(client: RedisClient, eventPrefix: string, channel: string, deliver: (event: TailedEvent) => void): Promise<() => Promise<void>> {
  const sharded = isClusterClient(client);
  const reader = sharded ? duplicateShardedSubscriber(client as Cluster) : duplicateClient(client, { blocksUpToMs: TAIL_BLOCK_MS, subscriber: true });
  reader.on('error', () => undefined);
  const redisChannel = `${eventPrefix}:${channel}`;
  const pattern = isGlobPattern(channel);
  const emit = (name: string, text: string) => {
    const event = decodeEnvelope(text);
    deliver({ channel: name.slice(eventPrefix.length + 1), event, ...(event ? {} : { raw: text }) });
  };
  if (pattern) {
    reader.on('pmessage', (_p: string, name: string, text: string) => emit(name, text));
    await reader.psubscribe(redisChannel);
  } else {
    reader.on('message', (name: string, text: string) => emit(name, text));
    await reader.subscribe(redisChannel);
  }
  if (sharded) {
    // services on a Cluster publish with SPUBLISH by default (event_bus.sharded_pubsub): follow both kinds
    reader.on('smessage', (name: string, text: string) => emit(name, text));
    if (!pattern) await reader.ssubscribe(redisChannel);
  }
  if (sharded && !pattern) return () => closeShardedSubscriber(reader as Cluster, [redisChannel]);
  return async () => void reader.disconnect();
}

/** Reads the channel's stream from its newest entry on; returns what ends the reading loop and closes the reader. */
async function tailStream(client: RedisClient, eventPrefix: string, channel: string, deliver: (event: TailedEvent) => void): Promise<() => Promise<void>> {
  const reader = duplicateClient(client, { blocksUpToMs: TAIL_BLOCK_MS, subscriber: false });
  reader.on('error', () => undefined);
  const stream = streamKey(eventPrefix, channel);
  let stopped = false;
  // start after the newest entry now (not `$` at the first read: the reader may connect later and miss entries)
  const newest = (await client.xrevrange(stream, '+', '-', 'COUNT', 1))[0];
  let last = newest ? newest[0] : '0-0';
  const loop = (async () => {
    while (!stopped) {
      const reply = (await reader.xread('COUNT', 100, 'BLOCK', TAIL_BLOCK_MS, 'STREAMS', stream, last).catch(() => null)) as Array<
        [string, Array<[string, string[]]>]
      > | null;
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          if (stopped) break;
          last = id;
          deliver({ channel, entryId: id, event: fieldsToEnvelope(fields) });
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
