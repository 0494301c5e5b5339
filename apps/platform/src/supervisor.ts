import { Logger } from '@nestjs/common';
import { EmbeddedRedis, resolveEmbeddedRedis } from '@meeting/queue';
import { LogSettingError, NestQueueLogger } from '@meeting/queue/nest';
import { serviceConfigFiles } from './config-files';
import { installLauncherLogger } from './launcher-logger';
import { platformUrls } from './platform-urls';
import { checkRedis } from './redis-check';
import { ServiceProcess } from './service-process';
import { PlatformService, platformServices } from './services';

/** How long a service may take to answer /health (PLATFORM_START_TIMEOUT_MS; a loaded machine compiling four services under ts-node needs more). */
const START_TIMEOUT_MS = 90_000;
/** A service drains for up to 10 s and its shutdown is bounded by drain + 5 s; past that it is killed. */
const STOP_GRACE_MS = 20_000;

/** Exit code when the launcher's own settings are wrong (CONFIG_FILE, a per-service overlay that does not exist, LOG_FORMAT or LOG_LEVEL). */
export const EXIT_BAD_SETTINGS = 2;
/** Exit code when REDIS_URL does not answer (as `mq` uses for a Redis outage). */
export const EXIT_REDIS_UNREACHABLE = 3;

/**
 * Runs the platform. Before starting anything: its own log settings (ServiceLogger `platform`:
 * JSON lines when stdout is not a terminal or LOG_FORMAT=json, LOG_LEVEL), the per-service overlays (`<NAME>_CONFIG_FILE`;
 * CONFIG_FILE is refused) and one PING to REDIS_URL when set; a problem is one line on stderr and
 * exit 2 (settings) or 3 (Redis). Then one Redis (REDIS_URL, else a private redis-server, else
 * memory), the four services as child processes, their URLs once they answer /health; on
 * SIGINT/SIGTERM (or when the front process goes away) stops the services with SIGTERM, waits for
 * them, then stops the embedded Redis.
 */
export async function runPlatform(onStopped: (code: number) => void): Promise<void> {
  try {
    installLauncherLogger();
  } catch (error) {
    if (error instanceof LogSettingError) return refuse(error.message, EXIT_BAD_SETTINGS, onStopped);
    throw error;
  }
  const logger = new Logger('Platform');
  const services = platformServices();
  const overlays = serviceConfigFiles(services, process.env);
  if ('problem' in overlays) return refuse(overlays.problem, EXIT_BAD_SETTINGS, onStopped);
  if (process.env.REDIS_URL) {
    const unreachable = await checkRedis(process.env.REDIS_URL);
    if (unreachable) return refuse(unreachable, EXIT_REDIS_UNREACHABLE, onStopped);
  }
  const children: ServiceProcess[] = [];
  let stopping: Promise<void> | undefined;
  // Signals are handled from here on, so a Ctrl-C while Redis starts still stops it.
  const embeddedReady = resolveEmbeddedRedis(process.env, new NestQueueLogger('EmbeddedRedis'));

  const stop = (reason: string, code: number) => {
    if (stopping) {
      logger.log(`${reason}: already stopping (services drain, then Redis stops)`);
      return stopping;
    }
    logger.log(
      `${reason}: stopping ${
        children
          .filter((c) => c.running)
          .map((c) => c.service.name)
          .join(', ') || 'nothing'
      }`,
    );
    stopping = (async () => {
      await Promise.all(children.map((c) => c.stop(STOP_GRACE_MS)));
      if (children.length > 0) logger.log('services stopped');
      const embedded = await embeddedReady.catch(() => undefined);
      if (embedded?.kind === 'spawned') logger.log('stopping the embedded redis-server');
      await embedded?.stop();
      logger.log('platform stopped');
      onStopped(code);
    })();
    return stopping;
  };
  process.on('SIGINT', () => void stop('SIGINT', 0));
  process.on('SIGTERM', () => void stop('SIGTERM', 0));
  process.on('disconnect', () => void stop('the launcher went away', 0));

  const embedded = await embeddedReady;
  if (stopping) return;

  if (embedded.kind === 'memory') {
    logger.warn(
      'no Redis: every service runs on the in-memory backend, alone in its process. REST, /health and /metrics work, but ' +
        'cross-service events (meeting_events, media_events, signaling_events) and dispatch (speech_recognition, emotion_detection, ' +
        'recording_process) need Redis: set REDIS_URL or put redis-server on PATH.',
    );
  }
  const env = serviceEnv(embedded);
  services.forEach((service, i) => {
    const configFile = overlays.files[service.name];
    const own = { PORT: String(service.port), ...(configFile ? { CONFIG_FILE: configFile } : {}) };
    children.push(
      new ServiceProcess(service, { ...env, ...own }, i, (child, code, signal) => {
        logger.error(`${child.service.name} exited unexpectedly (${signal ?? `code ${code}`})`);
        if (children.every((c) => !c.running)) void stop('every service exited', 1);
      }),
    );
  });
  logger.log(`starting ${services.map((s) => `${s.name} (pid ${children.find((c) => c.service === s)?.pid})`).join(', ')}`);

  const startTimeoutMs = Number(process.env.PLATFORM_START_TIMEOUT_MS) > 0 ? Number(process.env.PLATFORM_START_TIMEOUT_MS) : START_TIMEOUT_MS;
  const healthy = await Promise.all(children.map((c) => c.waitHealthy(startTimeoutMs)));
  if (stopping) return;
  const down = children.filter((_, i) => !healthy[i]).map((c) => c.service.name);
  if (down.length > 0) {
    logger.error(`${down.join(', ')} did not come up; stopping the platform`);
    await stop('start-up failed', 1);
    return;
  }
  printUrls(services, embedded);
}

/** One line on stderr (no stack, no log prefix), then `onStopped(code)`. */
function refuse(line: string, code: number, onStopped: (code: number) => void): void {
  process.stderr.write(`platform: ${line}\n`);
  onStopped(code);
}

function serviceEnv(embedded: EmbeddedRedis): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.SERVICE_NAME; // each overlay names its service
  delete env.CONFIG_FILE; // each service gets its own overlay (refused above when set)
  delete env.PLATFORM_SUPERVISOR;
  if (embedded.kind === 'memory') {
    delete env.REDIS_URL;
    env.QUEUE_TYPE = 'memory';
    env.EVENT_BUS_TYPE = 'local';
  } else {
    env.REDIS_URL = embedded.url;
  }
  return env;
}

function printUrls(services: PlatformService[], embedded: EmbeddedRedis): void {
  process.stdout.write(`${platformUrls(services, embedded).join('\n')}\n`);
}
