import { join } from 'path';
import { LuaCommands } from '../../redis/lua-loader';

const SCRIPTS = ['publish', 'claim', 'dead-letter', 'renew', 'release'] as const;
export type StreamScript = (typeof SCRIPTS)[number];

let commands: LuaCommands<StreamScript> | undefined;
/** The stream bus's Lua commands (prefix `ev`), read from disk once per process. */
export function streamCommands(): LuaCommands<StreamScript> {
  return (commands ??= new LuaCommands(join(__dirname, 'lua'), SCRIPTS, 'ev'));
}

/**
 * Keys of one channel (or of one partition of it). Both share one hash tag, so a stream and its
 * dead-letter stream live in one slot of a Redis Cluster and one script can touch both. Partition
 * 0 (and an unpartitioned channel) has the tag `{channel}`, partition p > 0 the tag `{channel#p}`
 * (`#` is not allowed in channel names), so partitions hash to different slots, spread over the
 * masters, and going from 1 to N partitions keeps the existing stream as partition 0.
 */
export class StreamKeys {
  /** The events: `<prefix>:{<channel>}:stream`, `<prefix>:{<channel>#<p>}:stream` for partition p > 0. */
  readonly stream: string;
  /** Entries that failed `maxDeliveries` times: `<prefix>:{<channel>}:dead` (same tag as the stream). */
  readonly dead: string;

  constructor(
    prefix: string,
    readonly channel: string,
    readonly partition = 0,
  ) {
    const tag = partition === 0 ? channel : `${channel}#${partition}`;
    this.stream = `${prefix}:{${tag}}:stream`;
    this.dead = `${prefix}:{${tag}}:dead`;
  }

  /** The keys of every partition of a channel of `partitions` partitions, partition 0 first. */
  static partitions(prefix: string, channel: string, partitions: number): StreamKeys[] {
    return Array.from({ length: partitions }, (_, p) => new StreamKeys(prefix, channel, p));
  }

  /** Set of every channel published or subscribed to (for pattern subscriptions): `<prefix>:channels`. */
  static registry(prefix: string): string {
    return `${prefix}:channels`;
  }
}
