/** The services the platform launcher runs: name, folder under apps/, port offset from the base port. */
export interface PlatformService {
  name: string;
  /** Entry point relative to the repository root. */
  main: string;
  /** Overlay over config/config.yaml, given to the service as CONFIG_FILE. */
  configFile: string;
  port: number;
}

export const SERVICE_NAMES = ['ai-service', 'meeting-service', 'media-service', 'signaling-service'] as const;

/** Default ports: 3001 (ai), 3002 (meeting), 3003 (media), 3004 (signaling); `PLATFORM_BASE_PORT` moves them all. */
export function platformServices(env: NodeJS.ProcessEnv = process.env): PlatformService[] {
  const base = Number(env.PLATFORM_BASE_PORT ?? 3001);
  if (!Number.isInteger(base) || base < 1 || base > 65_000) throw new Error(`PLATFORM_BASE_PORT must be an integer port, got "${env.PLATFORM_BASE_PORT}"`);
  return SERVICE_NAMES.map((name, i) => ({ name, main: `apps/${name}/src/main.ts`, configFile: `apps/${name}/config.yaml`, port: base + i }));
}
