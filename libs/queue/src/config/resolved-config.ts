import type { QueueAppConfig } from './config.types';

/** A non-enumerable mark on configurations produced by `parseConfig` (it does not survive a copy, which is intended). */
const RESOLVED = Symbol('meeting-queue:resolved-config');

/** Marks a configuration produced by `parseConfig`/`loadConfig` (so it is not validated and interpolated twice). */
export function markResolved(config: QueueAppConfig): QueueAppConfig {
  Object.defineProperty(config, RESOLVED, { value: true, enumerable: false });
  return config;
}

/** True for a configuration returned by `parseConfig`/`loadConfig`. */
export function isResolvedConfig(value: unknown): value is QueueAppConfig {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[RESOLVED] === true;
}
