import { DynamicModule, INestApplication, Logger, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '../config/config-loader';
import type { QueueAppConfig } from '../config/config.types';
import { ServiceLogger } from './service-logger';

/**
 * A service's configuration: `<configDir>/config.yaml` (or CONFIG_DIR), with CONFIG_FILE over it,
 * else the service's own overlay file; REDIS_URL replaces the Redis address.
 * @throws ConfigFileError / ConfigValidationError (see docs/configuration.md)
 */
export function loadServiceConfig(options: {
  overlayFile: string;
  configDir: string;
  env?: NodeJS.ProcessEnv;
  overrides?: Record<string, unknown>;
}): QueueAppConfig {
  const env = options.env ?? process.env;
  return loadConfig({ env, dir: env.CONFIG_DIR || options.configDir, file: env.CONFIG_FILE || options.overlayFile, overrides: options.overrides });
}

export interface RunServiceOptions {
  /** Service name for logs. */
  name: string;
  /** Port when PORT is not set. */
  defaultPort: number;
  loadConfig: () => QueueAppConfig;
  /** The root module for a configuration (usually `AppModule.register({ config })`). */
  module: (config: QueueAppConfig) => DynamicModule | Type<unknown>;
  /** Called with the application before it listens (global pipes, body parsers, OpenAPI, ...). */
  configure?: (app: INestApplication, config: QueueAppConfig) => void | Promise<void>;
}

/**
 * Starts a NestJS HTTP service on the queue configuration: the service logger (JSON lines when
 * stdout is not a terminal or LOG_FORMAT=json, LOG_LEVEL; see ServiceLogger), SIGTERM/SIGINT
 * close the application (the queue drains, closeOnSignals), `configure(app)` when given, PORT or
 * the default port, a start-up line; on a start-up error logs it and exits 1.
 */
export function runNestService(options: RunServiceOptions): void {
  let serviceLogger: ServiceLogger;
  try {
    serviceLogger = new ServiceLogger(options.name);
  } catch (error) {
    process.stderr.write(`${options.name} failed to start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  Logger.overrideLogger(serviceLogger);
  const logger = new Logger('Bootstrap');
  const start = async () => {
    const config = options.loadConfig();
    const port = Number(process.env.PORT || options.defaultPort);
    if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`PORT must be a TCP port number, got "${process.env.PORT}"`);
    const app = await NestFactory.create(options.module(config), { logger: serviceLogger });
    closeOnSignals(app, logger);
    await options.configure?.(app, config);
    await app.listen(port);
    logger.log(`${config.service_name} listening on http://localhost:${port} (queue ${config.message_queue.type}, events ${config.event_bus.type})`);
  };
  start().catch((error) => {
    logger.error(`${options.name} failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}

/**
 * SIGTERM and SIGINT close the application (shutdown hooks with the signal: the queue drains), then
 * the process exits 0 (1 when closing failed) once stdout has taken the last lines. Nest's own
 * enableShutdownHooks re-raises the signal instead, which kills the process before log lines
 * written to a pipe (a container's stdout) are flushed, and exits with a signal rather than 0.
 */
export function closeOnSignals(app: { close(signal?: string): Promise<void> }, logger: Logger, signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): void {
  let closing = false;
  const close = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.log(`${signal}: closing`);
    app
      .close(signal)
      .then(
        () => 0,
        (error: unknown) => {
          logger.error(`closing failed: ${error instanceof Error ? error.message : String(error)}`);
          return 1;
        },
      )
      .then((code) => process.stdout.write('', () => process.stderr.write('', () => process.exit(code))));
  };
  for (const signal of signals) process.on(signal, close);
}
