import { existsSync } from 'fs';
import { resolve } from 'path';
import type { PlatformService } from './services';

/** The variable that names a service's overlay for the launcher: `MEETING_SERVICE_CONFIG_FILE` for meeting-service, ... */
export function configFileVariable(service: string): string {
  return `${service.toUpperCase().replace(/-/g, '_')}_CONFIG_FILE`;
}

/**
 * Each service's overlay as the launcher passes it (CONFIG_FILE of the child): `<NAME>_CONFIG_FILE`
 * when set, else the service's own `apps/<name>/config.yaml` (a built service finds its own).
 * Returns the overlays by service name, or one line saying what is wrong: CONFIG_FILE set for the
 * launcher (one overlay cannot configure four services), or a named file that does not exist.
 */
export function serviceConfigFiles(services: PlatformService[], env: NodeJS.ProcessEnv): { files: Record<string, string | undefined> } | { problem: string } {
  if (env.CONFIG_FILE) {
    const names = services.map((s) => configFileVariable(s.name)).join(', ');
    return {
      problem:
        `CONFIG_FILE=${env.CONFIG_FILE} is not used by the platform: each service has its own overlay (apps/<service>/config.yaml). ` +
        `Name one per service with ${names}, or unset CONFIG_FILE (docs/services.md, "Configuration of the launcher").`,
    };
  }
  const files: Record<string, string | undefined> = {};
  for (const service of services) {
    const variable = configFileVariable(service.name);
    const given = env[variable];
    if (!given) {
      files[service.name] = service.configFile;
      continue;
    }
    const path = resolve(service.cwd, given);
    if (!existsSync(path)) return { problem: `${variable}=${given}: no such file (${path})` };
    files[service.name] = path;
  }
  return { files };
}
