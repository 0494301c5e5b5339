import { maskRedisUrl } from '../redis/redis-connection';
import type { QueueAppConfig } from './config.types';

/** A copy of the configuration safe to log or serve: passwords replaced by `***`, URLs masked. */
export function maskConfig(config: QueueAppConfig): QueueAppConfig {
  const redis = { ...config.redis };
  if (redis.password !== undefined) redis.password = '***';
  if (redis.url !== undefined) redis.url = maskRedisUrl(redis.url);
  return { ...config, redis };
}
