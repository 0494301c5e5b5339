import type { QueueLogger } from '../logger';
import type Redis from 'ioredis';
import { Cluster } from 'ioredis';
import { QueueError } from '../errors';
import type { RedisClient } from '../redis/redis-connection';

/** Oldest Redis the queue's Lua commands run on (`LPOP key count` needs 6.2). */
export const MIN_REDIS_VERSION = '6.2.0';

/** What the start-up check found on one node. */
export interface RedisNodeReport {
  node: string;
  version: string;
  /** Null when `CONFIG GET` is not allowed (managed Redis): the value could not be checked. */
  maxmemoryPolicy: string | null;
  aof: boolean;
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
 * AOF nor RDB is on: a Redis restart loses every message).
 */
export async function checkRedis(client: RedisClient, logger: QueueLogger): Promise<RedisCheckReport> {
  const nodes: Redis[] = client instanceof Cluster ? client.nodes('master') : [client as Redis];
  const reports = await Promise.all(nodes.map((node) => checkNode(node)));
  const warnings: string[] = [];
  for (const r of reports) {
    if (compareVersions(r.version, MIN_REDIS_VERSION) < 0) {
      throw new RedisStartupError(`Redis ${r.node} runs version ${r.version}; the queue needs ${MIN_REDIS_VERSION} or newer`);
    }
    if (r.maxmemoryPolicy === null) {
      warnings.push(`Redis ${r.node}: maxmemory-policy could not be read (CONFIG GET refused); make sure it is noeviction, or queued messages may be evicted`);
    } else if (r.maxmemoryPolicy !== 'noeviction') {
      warnings.push(
        `Redis ${r.node}: maxmemory-policy is ${r.maxmemoryPolicy}; under memory pressure Redis will silently delete queued messages. Set it to noeviction`,
      );
    }
    if (!r.aof && r.rdb === false) {
      warnings.push(`Redis ${r.node}: neither AOF nor RDB persistence is on; a Redis restart loses every queued message (appendonly yes is recommended)`);
    } else if (!r.aof) {
      warnings.push(`Redis ${r.node}: AOF is off; a crash loses messages written since the last RDB snapshot (appendonly yes is recommended)`);
    }
  }
  for (const w of warnings) logger.warn(w);
  for (const r of reports)
    logger.log(
      `Redis ${r.node}: version ${r.version}, maxmemory-policy ${r.maxmemoryPolicy ?? 'unknown'}, aof ${r.aof ? 'on' : 'off'}, rdb ${r.rdb === null ? 'unknown' : r.rdb ? 'on' : 'off'}`,
    );
  return { nodes: reports, warnings };
}

async function checkNode(node: Redis): Promise<RedisNodeReport> {
  const name = `${node.options.host ?? '?'}:${node.options.port ?? '?'}`;
  await node.ping();
  const server = parseInfo(await node.info('server'));
  const persistence = parseInfo(await node.info('persistence'));
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
    version: server.redis_version ?? '0.0.0',
    maxmemoryPolicy: await config('maxmemory-policy'),
    aof: persistence.aof_enabled === '1',
    rdb: save === null ? null : save.trim().length > 0,
  };
}

function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
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
