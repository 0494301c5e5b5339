import type { QueueLogger } from '../logger/queue-logger';

/**
 * A logger that writes nothing, for tests whose own checks replace the log (it is also a
 * `RedisOutageLogger`: it has `log` and `warn`).
 */
export const quietLogger: QueueLogger = {
  debug: () => undefined,
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => quietLogger,
};
