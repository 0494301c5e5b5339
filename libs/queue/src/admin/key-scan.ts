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
