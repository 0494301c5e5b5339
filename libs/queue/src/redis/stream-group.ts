import type { RedisClient } from './redis-connection';

/**
 * Whether `stream` has the consumer group `group` (false for a missing stream; a key of another
 * type is left to XGROUP CREATE to name). Read before XGROUP CREATE: on a Redis at maxmemory that
 * command is refused (OOM) even for a group that exists, so a service starting again on a full
 * Redis could not read what waits for it.
 */
export async function streamGroupExists(client: RedisClient, stream: string, group: string): Promise<boolean> {
  try {
    const groups = (await client.xinfo('GROUPS', stream)) as unknown[][];
    return groups.some((fields) => fields[fields.indexOf('name') + 1] === group);
  } catch {
    return false;
  }
}
