import type { QueueLogger } from '../logger';
import type Redis from 'ioredis';
import { Cluster } from 'ioredis';
import { QueueError, RedisPermissionError } from '../errors';
import type { RedisClient } from '../redis/redis-connection';
import { isAclRefusal, redisReplyLine } from '../redis/permanent-errors';
import { parseInfo } from '../redis/redis-info';

/** Oldest Redis the queue's Lua commands run on (`LPOP key count` needs 6.2). */
export const MIN_REDIS_VERSION = '6.2.0';

/** What the start-up check found on one node. */
export interface RedisNodeReport {
  node: string;
  /** Null when `INFO` is not allowed (an ACL user without it): the version could not be checked. */
  version: string | null;
  /** Null when `CONFIG GET` is not allowed (managed Redis): the value could not be checked. */
  maxmemoryPolicy: string | null;
  /** Null when `INFO` is not allowed. */
  aof: boolean | null;
  /** RDB snapshots configured (`save` not empty); null when `CONFIG GET` is not allowed. */
  rdb: boolean | null;
}

export interface RedisCheckReport {
  nodes: RedisNodeReport[];
  /** Warnings also written to the log. */
  warnings: string[];
}

/** Redis is too old, or could not be reached in time. Nothing was started. */
export class RedisStartupError extends QueueError {
  constructor(message: string) {
    super(message, 'REDIS_STARTUP');
  }
}

/**
 * Start-up check of every node (every master of a Cluster): reachable (PING), version (at least
 * {@link MIN_REDIS_VERSION}, else {@link RedisStartupError}), `maxmemory-policy` (a warning unless
 * `noeviction`: eviction silently deletes queued messages) and persistence (a warning when neither
 * AOF nor RDB is on: a Redis restart loses every message). `INFO` or `CONFIG` refused by the ACL
 * user (`-@dangerous`) leaves those values unchecked, with a warning. With `keyPrefix`, a script
 * that reads a key under the prefix and calls TIME checks the permissions every queue needs.
 * @throws RedisPermissionError when the ACL user may not run scripts, TIME or touch keys under `keyPrefix`
 */
export async function checkRedis(client: RedisClient, logger: QueueLogger, keyPrefix?: string): Promise<RedisCheckReport> {
  const nodes: Redis[] = client instanceof Cluster ? client.nodes('master') : [client as Redis];
  const reports = await Promise.all(nodes.map((node) => checkNode(node)));
  if (keyPrefix !== undefined) await checkPermissions(client, keyPrefix);
  const warnings: string[] = [];
  for (const r of reports) {
    if (r.version === null) {
      warnings.push(
        `Redis ${r.node}: INFO refused (NOPERM: the ACL user lacks +info); version (${MIN_REDIS_VERSION} or newer needed) and persistence not checked`,
      );
    } else if (compareVersions(r.version, MIN_REDIS_VERSION) < 0) {
      throw new RedisStartupError(`Redis ${r.node} runs version ${r.version}; the queue needs ${MIN_REDIS_VERSION} or newer`);
    }
    if (r.maxmemoryPolicy === null) {
      warnings.push(`Redis ${r.node}: maxmemory-policy could not be read (CONFIG GET refused); make sure it is noeviction, or queued messages may be evicted`);
    } else if (r.maxmemoryPolicy !== 'noeviction') {
      warnings.push(
        `Redis ${r.node}: maxmemory-policy is ${r.maxmemoryPolicy}; under memory pressure Redis will silently delete queued messages. Set it to noeviction`,
      );
    }
    if (r.aof === null) {
      // INFO refused: already said
    } else if (!r.aof && r.rdb === false) {
      warnings.push(`Redis ${r.node}: neither AOF nor RDB persistence is on; a Redis restart loses every queued message (appendonly yes is recommended)`);
    } else if (!r.aof && r.rdb === null) {
      warnings.push(
        `Redis ${r.node}: AOF is off and RDB snapshots could not be read (CONFIG GET refused); a crash loses messages written since the last snapshot, if any (appendonly yes is recommended)`,
      );
    } else if (!r.aof) {
      warnings.push(`Redis ${r.node}: AOF is off; a crash loses messages written since the last RDB snapshot (appendonly yes is recommended)`);
    }
  }
  for (const w of warnings) logger.warn(w);
  for (const r of reports)
    logger.log(
      `Redis ${r.node}: version ${r.version ?? 'unknown'}, maxmemory-policy ${r.maxmemoryPolicy ?? 'unknown'}, aof ${r.aof === null ? 'unknown' : r.aof ? 'on' : 'off'}, rdb ${r.rdb === null ? 'unknown' : r.rdb ? 'on' : 'off'}`,
    );
  return { nodes: reports, warnings };
}

async function checkNode(node: Redis): Promise<RedisNodeReport> {
  const name = `${node.options.host ?? '?'}:${node.options.port ?? '?'}`;
  await node.ping();
  const info = async (section: string): Promise<Record<string, string> | null> => {
    try {
      return parseInfo(await node.info(section));
    } catch (error) {
      if (isAclRefusal(error)) return null;
      throw error;
    }
  };
  const server = await info('server');
  const persistence = await info('persistence');
  const config = async (key: string): Promise<string | null> => {
    try {
      const reply = (await node.config('GET', key)) as string[];
      return reply.length >= 2 ? reply[1] : null;
    } catch {
      return null;
    }
  };
  const save = await config('save');
  return {
    node: name,
    version: server ? (server.redis_version ?? '0.0.0') : null,
    maxmemoryPolicy: await config('maxmemory-policy'),
    aof: persistence ? persistence.aof_enabled === '1' : null,
    rdb: save === null ? null : save.trim().length > 0,
  };
}

const PROBE = "redis.call('TIME') return redis.call('EXISTS', KEYS[1])";

/** A script like the queue's (TIME, a key under the prefix): refused means the ACL rule is too narrow. */
async function checkPermissions(client: RedisClient, keyPrefix: string): Promise<void> {
  const key = `${keyPrefix}:{acl-check}:probe`;
  try {
    await client.eval(PROBE, 1, key);
  } catch (error) {
    if (!isAclRefusal(error)) throw error;
    const reason = redisReplyLine(error);
    throw new RedisPermissionError(
      `Redis: the ACL user may not run the queue's scripts on keys under "${keyPrefix}:" (EVAL with TIME and EXISTS ${key}: ${reason}); ` +
        `grant ~${keyPrefix}:* &${keyPrefix}:* +@read +@write +@scripting +@pubsub +@connection +time (docs/security.md)`,
      'NOPERM',
    );
  }
}

/** Compares dotted versions numerically (`7.0.15` > `6.2.0`). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
