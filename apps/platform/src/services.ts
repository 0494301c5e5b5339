import { existsSync } from 'fs';
import { extname, join, resolve } from 'path';

/** The services the platform launcher runs: name, how to start it, port. */
export interface PlatformService {
  name: string;
  /** Entry point: `apps/<name>/src/main.ts` (relative to the repository) from the sources, `<dist>/apps/<name>/main.js` when built. */
  main: string;
  /** Node arguments that start it. */
  args: string[];
  /** Working directory: the repository from the sources, the service's own folder when built. */
  cwd: string;
  /** Overlay over config/config.yaml, given to the service as CONFIG_FILE (from the sources; a built service finds its own). */
  configFile?: string;
  port: number;
}

export const SERVICE_NAMES = ['ai-service', 'meeting-service', 'media-service', 'signaling-service'] as const;

/** The repository from the sources; dist/apps/platform when the platform runs from its build (`npm run start:prod`). */
const OWN_ROOT = resolve(__dirname, '..', '..', '..');

/** True when this file runs compiled, from dist/: the platform then starts the built services beside it (dist/apps/<name>/main.js). */
export const RUNS_FROM_DIST = extname(__filename) === '.js';

/**
 * Default ports: 3001 (ai), 3002 (meeting), 3003 (media), 3004 (signaling); `PLATFORM_BASE_PORT` moves them all.
 * From the sources each service runs under ts-node; from dist/ with plain node (production dependencies only).
 */
export function platformServices(env: NodeJS.ProcessEnv = process.env, fromDist = RUNS_FROM_DIST): PlatformService[] {
  const base = Number(env.PLATFORM_BASE_PORT ?? 3001);
  if (!Number.isInteger(base) || base < 1 || base > 65_000) throw new Error(`PLATFORM_BASE_PORT must be an integer port, got "${env.PLATFORM_BASE_PORT}"`);
  return SERVICE_NAMES.map((name, i) => {
    if (fromDist) {
      const dir = resolve(OWN_ROOT, '..', name);
      const main = join(dir, 'main.js');
      if (!existsSync(main)) throw new Error(`${main} not found: build the services first (npx nx run-many -t build, or npm run start:prod)`);
      return { name, main, args: [main], cwd: dir, port: base + i };
    }
    const main = `apps/${name}/src/main.ts`;
    return {
      name,
      main,
      args: ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', main],
      cwd: OWN_ROOT,
      configFile: `apps/${name}/config.yaml`,
      port: base + i,
    };
  });
}
