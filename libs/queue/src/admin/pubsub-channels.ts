import type { Cluster } from 'ioredis';
import { closeShardedSubscriber, duplicateClient, duplicateShardedSubscriber, isClusterClient, RedisClient } from '../redis/redis-connection';
import { escapeGlob } from './key-scan';

/** One pub/sub channel of the event buses. */
export interface PubSubChannelInfo {
  /** Channel name without the event prefix (what services subscribe to). */
  channel: string;
  /**
   * Subscribers now (PUBSUB NUMSUB, summed over the nodes of a Cluster, plus PUBSUB SHARDNUMSUB: the
   * sharded subscribers of a `redis_pubsub` bus on a Cluster); pattern subscribers are not counted by Redis.
   */
  subscribers: number;
  /** Messages seen since sampling started (null: not sampling). */
  published: number | null;
  /** Messages per second over the last 10 s of sampling (null: not sampling). */
  ratePerSec: number | null;
}

export interface PubSubOverview {
  /** When the sampler started listening (null: not sampling, rates unknown). */
  samplingSince: number | null;
  channels: PubSubChannelInfo[];
}

const WINDOW_S = 10;
const MAX_CHANNELS = 10_000;

/**
 * Counts the messages of every pub/sub channel under the event prefix, from where an operator tool
 * listens (one PSUBSCRIBE `<prefix>:*`): the services write nothing extra. It receives every message
 * of those channels while it runs, so it starts only when asked (the dashboard's pub/sub page).
 * On a Cluster, sharded channels (SPUBLISH) have no pattern subscription: the sampler SSUBSCRIBEs
 * each sharded channel it is shown ({@link followSharded}, from PUBSUB SHARDCHANNELS), so a sharded
 * channel is counted from when it had a subscriber at a `pubsub()` call.
 */
export class PubSubSampler {
  private reader?: RedisClient;
  private since: number | null = null;
  private readonly channels = new Map<string, { total: number; seconds: number[]; counts: number[] }>();
  private readonly sharded = new Set<string>();

  constructor(
    private readonly client: RedisClient,
    private readonly eventPrefix: string,
  ) {}

  get samplingSince(): number | null {
    return this.since;
  }

  async start(): Promise<void> {
    if (this.reader) return;
    const reader = (this.reader = isClusterClient(this.client) ? duplicateShardedSubscriber(this.client) : duplicateClient(this.client, { subscriber: true }));
    reader.on('error', () => undefined);
    reader.on('pmessage', (_pattern: string, name: string) => this.count(name.slice(this.eventPrefix.length + 1)));
    reader.on('smessage', (name: string) => this.count(name.slice(this.eventPrefix.length + 1)));
    await reader.psubscribe(`${escapeGlob(this.eventPrefix)}:*`);
    this.since = Date.now();
  }

  /** Channels seen, with their totals and rates (per second over the last {@link WINDOW_S} s, or since the start when shorter). */
  rates(now = Date.now()): Map<string, { published: number; ratePerSec: number }> {
    const out = new Map<string, { published: number; ratePerSec: number }>();
    if (this.since === null) return out;
    const second = Math.floor(now / 1000);
    const span = Math.min(WINDOW_S, Math.max(1, (now - this.since) / 1000));
    for (const [name, c] of this.channels) {
      let recent = 0;
      c.seconds.forEach((s, i) => (recent += s > second - WINDOW_S ? c.counts[i] : 0));
      out.set(name, { published: c.total, ratePerSec: Math.round((recent / span) * 10) / 10 });
    }
    return out;
  }

  /** Sharded channels (names without the prefix) to count as well: SSUBSCRIBEs those not followed yet (a Cluster only). */
  async followSharded(names: Iterable<string>): Promise<void> {
    const reader = this.reader;
    if (!reader || !isClusterClient(reader)) return;
    for (const name of names) {
      if (this.sharded.has(name) || this.sharded.size >= MAX_CHANNELS) continue;
      this.sharded.add(name);
      // one channel per SSUBSCRIBE: channels of several slots in one call are refused (CROSSSLOT)
      await reader.ssubscribe(`${this.eventPrefix}:${name}`);
    }
  }

  /** Whether the sampler SSUBSCRIBEd the channel itself (it is then one of the channel's SHARDNUMSUB subscribers). */
  follows(name: string): boolean {
    return this.sharded.has(name);
  }

  /** Stops sampling; resolves once its connection is closed (a sharded one after its SUNSUBSCRIBEs, at most 1 s). */
  async stop(): Promise<void> {
    const reader = this.reader;
    const channels = [...this.sharded].map((name) => `${this.eventPrefix}:${name}`);
    this.reader = undefined;
    this.since = null;
    this.channels.clear();
    this.sharded.clear();
    if (reader && isClusterClient(reader)) await closeShardedSubscriber(reader, channels);
    else reader?.disconnect();
  }

  private count(name: string): void {
    let c = this.channels.get(name);
    if (!c) {
      if (this.channels.size >= MAX_CHANNELS) return;
      c = { total: 0, seconds: new Array<number>(WINDOW_S + 1).fill(-1), counts: new Array<number>(WINDOW_S + 1).fill(0) };
      this.channels.set(name, c);
    }
    const second = Math.floor(Date.now() / 1000);
    const slot = second % c.seconds.length;
    if (c.seconds[slot] !== second) {
      c.seconds[slot] = second;
      c.counts[slot] = 0;
    }
    c.counts[slot]++;
    c.total++;
  }
}

/** Subscribers per channel (names without the prefix), and which of them are sharded channels. */
export interface PubSubSubscribers {
  subscribers: Map<string, number>;
  /** Channels with sharded subscribers (SSUBSCRIBE; a Cluster only). */
  sharded: Set<string>;
}

/**
 * Channels under the event prefix that have subscribers and how many each: PUBSUB CHANNELS and
 * NUMSUB on every node of a Cluster, and on a Cluster also PUBSUB SHARDCHANNELS and SHARDNUMSUB
 * (the sharded subscribers of a `redis_pubsub` bus live on the master of the channel's slot).
 */
export async function pubsubChannels(client: RedisClient, eventPrefix: string): Promise<PubSubSubscribers> {
  const cluster = isClusterClient(client);
  const nodes = cluster ? (client as Cluster).nodes('all') : [client];
  const out: PubSubSubscribers = { subscribers: new Map(), sharded: new Set() };
  const pattern = `${escapeGlob(eventPrefix)}:*`;
  const add = (flat: Array<string | number>, sharded: boolean) => {
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const name = String(flat[i]).slice(eventPrefix.length + 1);
      out.subscribers.set(name, (out.subscribers.get(name) ?? 0) + Number(flat[i + 1]));
      if (sharded) out.sharded.add(name);
    }
  };
  for (const node of nodes) {
    const names = (await node.pubsub('CHANNELS', pattern)) as string[];
    if (names.length > 0) add((await node.pubsub('NUMSUB', ...names)) as Array<string | number>, false);
    if (!cluster) continue;
    const shardNames = (await node.call('PUBSUB', 'SHARDCHANNELS', pattern)) as string[];
    if (shardNames.length > 0) add((await node.call('PUBSUB', 'SHARDNUMSUB', ...shardNames)) as Array<string | number>, true);
  }
  return out;
}
