import { RedisKeyTypeError } from '../errors';
import type { RedisClient } from './redis-connection';

/**
 * `error` as a {@link RedisKeyTypeError} naming `key` when Redis answered WRONGTYPE (so no bare
 * WRONGTYPE reaches an error or a log line), else `error` itself. Asks Redis for the key's type.
 */
export async function namingKeyType(client: RedisClient, key: string, expected: string, operation: string, error: unknown): Promise<unknown> {
  if (!(error instanceof Error) || !error.message.includes('WRONGTYPE')) return error;
  return new RedisKeyTypeError(key, String(await client.type(key).catch(() => 'unknown')), expected, operation);
}
