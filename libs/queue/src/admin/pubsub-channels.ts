import { Cluster } from 'ioredis';
import { duplicateClient, RedisClient } from '../redis/redis-connection';
import { escapeGlob } from './key-scan';

/** One pub/sub channel of the event buses. */
export interface PubSubChannelInfo {
  /** Channel name without the event prefix (what services subscribe to). */
  channel: string;
  /** Subscribers now (PUBSUB NUMSUB, summed over the nodes of a Cluster); pattern subscribers are not counted by Redis. */
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
 */
export class PubSubSampler {
  private reader?: RedisClient;
  private since: number | null = null;
  private readonly channels = new Map<string, { total: number; seconds: number[]; counts: number[] }>();

  constructor(
    private readonly client: RedisClient,
    private readonly eventPrefix: string,
  ) {}

  get samplingSince(): number | null {
    return this.since;
  }

  async start(): Promise<void> {
    if (this.reader) return;
    const reader = (this.reader = duplicateClient(this.client));
    reader.on('error', () => undefined);
    reader.on('pmessage', (_pattern: string, name: string) => this.count(name.slice(this.eventPrefix.length + 1)));
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

  stop(): void {
    this.reader?.disconnect();
    this.reader = undefined;
    this.since = null;
    this.channels.clear();
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

/** Channels under the event prefix that have subscribers (PUBSUB CHANNELS, on every node of a Cluster) and how many each (NUMSUB). */
export async function pubsubChannels(client: RedisClient, eventPrefix: string): Promise<Map<string, number>> {
  const nodes = client instanceof Cluster ? client.nodes('all') : [client];
  const out = new Map<string, number>();
  for (const node of nodes) {
    const names = (await node.pubsub('CHANNELS', `${escapeGlob(eventPrefix)}:*`)) as string[];
    if (names.length === 0) continue;
    const flat = (await node.pubsub('NUMSUB', ...names)) as Array<string | number>;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const name = String(flat[i]).slice(eventPrefix.length + 1);
      out.set(name, (out.get(name) ?? 0) + Number(flat[i + 1]));
    }
  }
  return out;
}
