import type { QueueAppConfig } from './config.types';

const resolved = new WeakSet<object>();

/** Marks a configuration produced by `parseConfig`/`loadConfig` (so it is not validated and interpolated twice). */
export function markResolved(config: QueueAppConfig): QueueAppConfig {
  resolved.add(config);
  return config;
}

/** True for a configuration returned by `parseConfig`/`loadConfig`. */
export function isResolvedConfig(value: unknown): value is QueueAppConfig {
  return typeof value === 'object' && value !== null && resolved.has(value);
}
