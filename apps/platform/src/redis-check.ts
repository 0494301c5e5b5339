import { createRedisClient, maskRedisUrl } from '@meeting/queue';

/** How long the launcher waits for Redis to answer PING before giving up. */
export const REDIS_CHECK_TIMEOUT_MS = 5000;

const silent = { log: () => undefined, warn: () => undefined };

/**
 * One PING to the Redis at `url` within `timeoutMs`: undefined when it answered, else one line
 * naming the masked URL and the cause (connection refused, unknown host, wrong password, ...).
 */
export async function checkRedis(url: string, timeoutMs = REDIS_CHECK_TIMEOUT_MS): Promise<string | undefined> {
  let lastError = '';
  let client;
  try {
    client = createRedisClient({ url, connectTimeoutMs: timeoutMs, connectionName: 'platform:check', logger: silent });
  } catch (error) {
    return `REDIS_URL ${maskRedisUrl(url)} is not a usable Redis URL: ${(error as Error).message}`;
  }
  client.on('error', (error: Error) => (lastError = error.message));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.ping(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs))),
    ]);
    return undefined;
  } catch (error) {
    const cause = lastError || (error as Error).message;
    return `Redis at ${maskRedisUrl(url)} (REDIS_URL) is not reachable: ${cause}. Start it, fix REDIS_URL, or unset REDIS_URL to run an embedded redis-server.`;
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
