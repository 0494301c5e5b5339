import { Cluster } from 'ioredis';
import type { RedisClient } from '../redis/redis-connection';

/** `*`, `?`, `[`, `]` and `\` escaped for a SCAN/KEYS MATCH pattern. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * Every key matching `pattern`, by SCAN (never KEYS): on a Cluster on every master, since a
 * cluster-wide SCAN does not exist. Read-only and incremental (COUNT 1000 per step).
 */
export async function scanKeys(client: RedisClient, pattern: string): Promise<string[]> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  const found = new Set<string>();
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      for (const key of keys) found.add(key);
      cursor = next;
    } while (cursor !== '0');
  }
  return [...found];
}

/**
 * The names found in the keys under `prefix`: SCAN for `<prefix>:<glob>`, then of each key whose
 * rest (after `<prefix>:`) matches `shape`, the first group mapped by `name` (a partition tag to its queue); distinct and sorted.
 */
export async function namesInKeys(
  client: RedisClient,
  prefix: string,
  glob: string,
  shape: RegExp,
  name: (tag: string) => string = (tag) => tag,
): Promise<string[]> {
  const keys = await scanKeys(client, `${escapeGlob(prefix)}:${glob}`);
  const names = new Set<string>();
  for (const key of keys) {
    const m = shape.exec(key.slice(prefix.length + 1));
    if (m) names.add(name(m[1]));
  }
  return [...names].sort();
}

/** The keys of a queue (after the prefix); a partition's tag counts as its queue. */
const QUEUE_KEY = /^\{([^}]+)\}:(q:(critical|high|normal|low)|msgs|inflight|delayed|dlq|stats|meta|done|workers)$/;
/** The end of a partition's hash tag (queue/partitioned/partition-layout.ts). */
const PARTITION_TAG_TAIL = /~\d+of\d+\.\d+$/;
/** A partition's tag (`name~<p>of<N>.<j>`) counts as its queue. */
const queueOfTag = (tag: string) => tag.replace(PARTITION_TAG_TAIL, '');
const SCHEDULER_KEY = /^\{([^}]+)\}:sch:(rec|next|once|oncedefs|stats)$/;
const STREAM_KEY = /^\{([^}]+)\}:stream$/;

/** Every queue that has a key under the prefix, sorted by name. */
export function queueNames(client: RedisClient, prefix: string): Promise<string[]> {
  return namesInKeys(client, prefix, '{*}:*', QUEUE_KEY, queueOfTag);
}

/** Names of the schedulers (services) that have keys under the prefix, sorted. */
export function schedulerNames(client: RedisClient, prefix: string): Promise<string[]> {
  return namesInKeys(client, prefix, '{*}:sch:*', SCHEDULER_KEY, queueOfTag);
}

/** Channels that have a stream under the event prefix, sorted. */
export function streamChannels(client: RedisClient, eventPrefix: string): Promise<string[]> {
  return namesInKeys(client, eventPrefix, '{*}:stream', STREAM_KEY, queueOfTag);
}
