import type { QueueAppConfig } from '../config/config.types';
import { QueueError, RedisPermanentError } from '../errors';
import { redisConnectionOptions } from '../manager/redis-connections';
import type { RedisOutageLogger } from '../redis/outage-log';
import { createRedisClient, describeRedis, RedisClient, waitUntilReady } from '../redis/redis-connection';

/** Redis did not answer within the connect timeout (the message names the masked address). */
export class AdminConnectionError extends QueueError {
  constructor(message: string) {
    super(message, 'ADMIN_CONNECTION');
  }
}

/**
 * The connection of `QueueAdmin.fromConfig`: made as the services make theirs (same `redis`
 * section), ready, with its secret-free description. A permanent refusal (credentials, TLS...) is
 * thrown as is; no answer within `connectTimeoutMs` is an {@link AdminConnectionError} naming the
 * last connection error; the client is disconnected either way.
 */
export async function connectAdminClient(
  config: QueueAppConfig,
  connectTimeoutMs: number,
  logger?: RedisOutageLogger,
): Promise<{ client: RedisClient; description: string }> {
  const connection = { ...redisConnectionOptions(config, 'admin'), connectTimeoutMs, ...(logger ? { logger } : {}) };
  const description = describeRedis(connection);
  const client = createRedisClient(connection);
  let lastError = '';
  client.on('error', (error: Error) => (lastError = error.message));
  try {
    await waitUntilReady(client, connectTimeoutMs);
  } catch (error) {
    client.disconnect();
    if (error instanceof RedisPermanentError) throw error;
    throw new AdminConnectionError(`Redis ${description} not reachable within ${connectTimeoutMs} ms${lastError ? `: ${lastError}` : ''}`);
  }
  return { client, description };
}
