import { QueueConfigError } from '../errors';
import { boolField, checkKnownKeys, checkOption, enumField, knownKeys, stringField } from '../util/fields';

/**
 * Where the library writes its log lines. Implement it over any logging library (pino, winston,
 * Nest's `Logger` through `NestQueueLogger` of `@meeting/queue/nest`) and pass it as `logger` to
 * `QueueManager.create`, `createQueue`, `createEventBus`, `createScheduler` or `createDispatcher`.
 * Default: {@link ConsoleQueueLogger}.
 *
 * Messages never contain secrets: Redis URLs are masked (`maskRedisUrl`) before they are logged.
 */
export interface QueueLogger {
  /** Detail useful when investigating; the console logger drops it unless `debug` is on. */
  debug(message: string): void;
  /** Normal operation worth a line (start-up choices, recovered outages). */
  log(message: string): void;
  /** Something went wrong and was handled (a retry, a message dead-lettered). */
  warn(message: string): void;
  /** Something failed that an operator should look at. */
  error(message: string): void;
  /** The same sink, its lines tagged with `context`: a component such as `Queue:jobs` or `Scheduler:ai`. */
  child(context: string): QueueLogger;
}

const LOG_FORMATS = ['text', 'json'] as const;
/** Line formats of {@link ConsoleQueueLogger}. */
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface ConsoleQueueLoggerOptions {
  /**
   * `text`: `2026-01-01T00:00:00.000Z WARN [Queue:jobs] message`; `json`: one JSON object per line
   * (`time`, `level`, `context`, `message`). Default: `json` when `NODE_ENV=production`, else `text`.
   */
  format?: LogFormat;
  /** Print `debug` lines (default false). */
  debug?: boolean;
  /** Default: none (the root logger); `child()` sets it. */
  context?: string;
}

type Level = 'debug' | 'log' | 'warn' | 'error';

const LOGGER_OPTION_KEYS = knownKeys<ConsoleQueueLoggerOptions>({ format: true, debug: true, context: true });

/**
 * Checks the options of {@link ConsoleQueueLogger}: an object of known keys, `format` one of the
 * formats, `debug` a boolean, `context` a string. Throws QueueConfigError at `logger` or `logger.<key>`.
 */
function checkLoggerOptions(options: unknown): ConsoleQueueLoggerOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new QueueConfigError('logger', options, 'an options object { format, debug, context }');
  }
  checkKnownKeys(options, LOGGER_OPTION_KEYS, 'logger');
  const given = options as ConsoleQueueLoggerOptions;
  return {
    format: checkOption(enumField(LOG_FORMATS).optional(), given.format, 'logger.format'),
    debug: checkOption(boolField().optional(), given.debug, 'logger.debug'),
    context: checkOption(stringField().optional(), given.context, 'logger.context'),
  };
}

/**
 * The default {@link QueueLogger}: one line per call, `log`/`debug` on stdout and `warn`/`error`
 * on stderr, plain text or JSON lines (see {@link ConsoleQueueLoggerOptions.format}).
 */
export class ConsoleQueueLogger implements QueueLogger {
  private readonly format: LogFormat;
  private readonly showDebug: boolean;
  private readonly context?: string;

  /** @throws QueueConfigError at `logger.<key>` for an unknown option or a bad value (`{ format: 'jsn' }`). */
  constructor(given?: ConsoleQueueLoggerOptions) {
    const options = checkLoggerOptions(given);
    this.format = options.format ?? (process.env.NODE_ENV === 'production' ? 'json' : 'text');
    this.showDebug = options.debug ?? false;
    this.context = options.context;
  }

  debug(message: string): void {
    if (this.showDebug) this.write('debug', message);
  }

  log(message: string): void {
    this.write('log', message);
  }

  warn(message: string): void {
    this.write('warn', message);
  }

  error(message: string): void {
    this.write('error', message);
  }

  child(context: string): QueueLogger {
    return new ConsoleQueueLogger({ format: this.format, debug: this.showDebug, context });
  }

  private write(level: Level, message: string): void {
    const time = new Date().toISOString();
    const line =
      this.format === 'json'
        ? JSON.stringify({ time, level, ...(this.context ? { context: this.context } : {}), message })
        : `${time} ${level.toUpperCase()}${this.context ? ` [${this.context}]` : ''} ${message}`;
    (level === 'warn' || level === 'error' ? process.stderr : process.stdout).write(`${line}\n`);
  }
}

/** `given` tagged with `context`, or a new {@link ConsoleQueueLogger} for `context` when none is given. */
export function loggerFor(context: string, given?: QueueLogger): QueueLogger {
  return (given ?? new ConsoleQueueLogger()).child(context);
}
