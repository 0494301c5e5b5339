import { join } from 'path';
import { LuaCommands } from '../../redis/lua-loader';

const SCRIPTS = ['publish', 'claim', 'dead-letter', 'renew'] as const;
export type StreamScript = (typeof SCRIPTS)[number];

let commands: LuaCommands<StreamScript> | undefined;
/** The stream bus's Lua commands (prefix `ev`), read from disk once per process. */
export function streamCommands(): LuaCommands<StreamScript> {
  return (commands ??= new LuaCommands(join(__dirname, 'lua'), SCRIPTS, 'ev'));
}

/**
 * Keys of one channel. Both share the hash tag `{channel}`, so a channel's stream and its
 * dead-letter stream live in one slot of a Redis Cluster and one script can touch both.
 */
export class StreamKeys {
  /** The channel's events: `<prefix>:{<channel>}:stream`. */
  readonly stream: string;
  /** Entries that failed `maxDeliveries` times: `<prefix>:{<channel>}:dead`. */
  readonly dead: string;

  constructor(
    prefix: string,
    readonly channel: string,
  ) {
    this.stream = `${prefix}:{${channel}}:stream`;
    this.dead = `${prefix}:{${channel}}:dead`;
  }

  /** Set of every channel published or subscribed to (for pattern subscriptions): `<prefix>:channels`. */
  static registry(prefix: string): string {
    return `${prefix}:channels`;
  }
}
