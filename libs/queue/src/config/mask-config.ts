import { maskRedisUrl } from '../redis/redis-connection';
import type { QueueAppConfig } from './config.types';

/** A copy of the configuration safe to log or serve: passwords and PEM private keys replaced by `***`, URLs masked. */
export function maskConfig(config: QueueAppConfig): QueueAppConfig {
  const redis = { ...config.redis };
  if (redis.password !== undefined) redis.password = '***';
  if (redis.url !== undefined) redis.url = maskRedisUrl(redis.url);
  // a private key given as PEM text; a file path is shown (it says where the key is, not what it is)
  if (typeof redis.tls === 'object' && redis.tls.key !== undefined) {
    redis.tls = { ...redis.tls, key: redis.tls.key.trimStart().startsWith('-----BEGIN') ? '***' : redis.tls.key };
  }
  return { ...config, redis };
}
