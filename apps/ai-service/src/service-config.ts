import { QueueAppConfig } from '@meeting/queue';
import { loadServiceConfig as loadFromFiles } from '@meeting/queue/nest';
import { resolve } from 'path';

/** This service's overlay over config/config.yaml (used when CONFIG_FILE is not set). */
export const SERVICE_CONFIG_FILE = resolve(__dirname, '..', 'config.yaml');

/**
 * The ai-service configuration: config/config.yaml (CONFIG_DIR, else the repository's config/) with
 * CONFIG_FILE, else apps/ai-service/config.yaml, over it; REDIS_URL replaces the address.
 */
export function loadServiceConfig(env: NodeJS.ProcessEnv = process.env, overrides?: Record<string, unknown>): QueueAppConfig {
  return loadFromFiles({ overlayFile: SERVICE_CONFIG_FILE, configDir: resolve(__dirname, '..', '..', '..', 'config'), env, overrides });
}
