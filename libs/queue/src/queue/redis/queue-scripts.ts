import { join } from 'path';
import { LuaCommands } from '../../redis/lua-loader';
import type { DurableWrites } from '../../redis/durable-writes';
import type { RedisClient } from '../../redis/redis-connection';
import type { QueueKeys } from './queue-keys';

const SCRIPTS = [
  'publish',
  'fetch',
  'complete',
  'fail',
  'extend',
  'release',
  'status',
  'counts',
  'dlq-page',
  'dlq-replay',
  'dlq-delete',
  'set-paused',
  'cancel',
  'workers',
  'progress',
  'rate-state',
  'group-list',
  'oldest',
  'peek-completed',
] as const;
/** The queue's Lua scripts (`lua/<name>.lua`). */
export type QueueScriptName = (typeof SCRIPTS)[number];

let commands: LuaCommands<QueueScriptName> | undefined;
/** The queue's Lua commands, read from disk once per process. */
export function queueCommands(): LuaCommands<QueueScriptName> {
  return (commands ??= new LuaCommands(join(__dirname, 'lua'), SCRIPTS, 'mq'));
}

/**
 * What the parts of a `RedisQueueStore` share: the command connection (shared with other
 * queues, not closed by the store), the queue's keys, its scripts (installed on `client`) and the
 * writes that wait for replicas when durability asks for it.
 */
export interface QueueScriptContext {
  readonly client: RedisClient;
  readonly keys: QueueKeys;
  readonly lua: LuaCommands<QueueScriptName>;
  readonly writes: DurableWrites<QueueScriptName>;
}
