import { loggerFor, QueueLogger } from '../logger';
import { findRedisServerBinary, RedisServerProcess } from './redis-server-process';
import { maskRedisUrl } from './redis-connection';

/** What `resolveEmbeddedRedis` chose. */
export type EmbeddedRedis =
  | { kind: 'url'; url: string; stop(): Promise<void> }
  | { kind: 'spawned'; url: string; dir: string; stop(): Promise<void> }
  | { kind: 'memory'; stop(): Promise<void> };

/**
 * The embedded default for local runs: REDIS_URL when set; else a private `redis-server` started
 * from PATH (AOF on, in a temp dir, on a free port; stopped by `stop()`); else the memory backend.
 * Logs which one it chose (the URL with its password masked).
 */
export async function resolveEmbeddedRedis(env: NodeJS.ProcessEnv = process.env, logger: QueueLogger = loggerFor('EmbeddedRedis')): Promise<EmbeddedRedis> {
  if (env.REDIS_URL) {
    logger.log(`using REDIS_URL ${maskRedisUrl(env.REDIS_URL)}`);
    return { kind: 'url', url: env.REDIS_URL, stop: async () => undefined };
  }
  const binary = findRedisServerBinary();
  if (binary) {
    const server = await RedisServerProcess.start(binary, { aof: true });
    logger.log(`REDIS_URL is not set: started an embedded redis-server at ${server.url} (data in ${server.dir}); set REDIS_URL to use your own`);
    return { kind: 'spawned', url: server.url, dir: server.dir, stop: () => server.cleanup() };
  }
  logger.warn('REDIS_URL is not set and no redis-server is on PATH: using the in-memory backend (nothing survives a restart)');
  return { kind: 'memory', stop: async () => undefined };
}
