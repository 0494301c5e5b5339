import { Logger } from '@nestjs/common';
import { ServiceLogger } from '@meeting/queue/nest';

/** The `service` of the launcher's own JSON log lines. */
export const LAUNCHER_LOG_NAME = 'platform';

/**
 * Makes the launcher log as the services do: a {@link ServiceLogger} named `platform` becomes Nest's
 * logger, so its `Logger('Platform')` and the `EmbeddedRedis` lines are JSON when stdout is not a
 * terminal or LOG_FORMAT=json, text (coloured on a terminal) otherwise, from LOG_LEVEL up.
 * @throws LogSettingError naming LOG_FORMAT or LOG_LEVEL when it is not an accepted value
 */
export function installLauncherLogger(env: NodeJS.ProcessEnv = process.env, stdoutIsTTY = Boolean(process.stdout.isTTY)): ServiceLogger {
  const logger = new ServiceLogger(LAUNCHER_LOG_NAME, env, stdoutIsTTY);
  Logger.overrideLogger(logger);
  return logger;
}
