import { Logger } from '@nestjs/common';
import { EmbeddedRedis, maskRedisUrl, resolveEmbeddedRedis } from '@meeting/queue';
import { NestQueueLogger } from '@meeting/queue/nest';
import { ServiceProcess } from './service-process';
import { PlatformService, platformServices } from './services';

const START_TIMEOUT_MS = 90_000;
/** A service drains for up to 10 s and its shutdown is bounded by drain + 5 s; past that it is killed. */
const STOP_GRACE_MS = 20_000;

/**
 * Runs the platform: one Redis (REDIS_URL, else a private redis-server, else memory), the four
 * services as child processes, their URLs once they answer /health; on SIGINT/SIGTERM (or when
 * the front process goes away) stops the services with SIGTERM, waits for them, then stops the
 * embedded Redis.
 */
export async function runPlatform(onStopped: (code: number) => void): Promise<void> {
  const logger = new Logger('Platform');
  const services = platformServices();
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
    const own = { PORT: String(service.port), ...(service.configFile ? { CONFIG_FILE: service.configFile } : {}) };
    children.push(
      new ServiceProcess(service, { ...env, ...own }, i, (child, code, signal) => {
        logger.error(`${child.service.name} exited unexpectedly (${signal ?? `code ${code}`})`);
        if (children.every((c) => !c.running)) void stop('every service exited', 1);
      }),
    );
  });
  logger.log(`starting ${services.map((s) => `${s.name} (pid ${children.find((c) => c.service === s)?.pid})`).join(', ')}`);

  const healthy = await Promise.all(children.map((c) => c.waitHealthy(START_TIMEOUT_MS)));
  if (stopping) return;
  const down = children.filter((_, i) => !healthy[i]).map((c) => c.service.name);
  if (down.length > 0) {
    logger.error(`${down.join(', ')} did not come up; stopping the platform`);
    await stop('start-up failed', 1);
    return;
  }
  printUrls(services, embedded);
}

function serviceEnv(embedded: EmbeddedRedis): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.SERVICE_NAME; // each overlay names its service
  delete env.CONFIG_FILE; // each service gets its own overlay
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
  const backend = embedded.kind === 'memory' ? 'in-memory backend (no cross-service events or dispatch)' : `Redis ${maskRedisUrl(embedded.url)}`;
  const lines = [
    '',
    `platform up on ${backend}:`,
    ...services.map((s) => `  ${s.name.padEnd(18)} http://localhost:${s.port}   (/health, /health/ready, /metrics)`),
    `  try: curl -s -XPOST localhost:${services[1].port}/meetings -H 'content-type: application/json' -d '{"title":"standup"}'`,
    ...(embedded.kind === 'memory'
      ? []
      : [`  queue dashboard: http://localhost:${services[1].port}/queues/ (read-only; MQ_ADMIN_TOKEN unlocks replay, delete, pause)`]),
    '  Ctrl-C stops the services (they drain), then Redis.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
