import { isSpanContextValid, trace } from '@opentelemetry/api';
import { ConsoleLogger, LogLevel } from '@nestjs/common';
import { QueueError } from '../errors';
import { maskRedisUrl } from '../redis/redis-connection';

/** Nest log levels from the most to the least verbose; LOG_LEVEL keeps its level and those after it. */
const LEVELS: LogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];

/** Thrown for a LOG_LEVEL or LOG_FORMAT that is not one of the accepted values. */
export class LogSettingError extends QueueError {
  constructor(
    readonly variable: string,
    readonly value: string,
    readonly expected: string,
  ) {
    super(`${variable}: expected ${expected}, got "${value}"`, 'LOG_SETTING');
  }
}

/** Every `scheme://user:password@` in a text, with the password replaced (maskRedisUrl). */
export function maskUrlsInText(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:[^\s@/]*@/gi, (m) => maskRedisUrl(m));
}

/** The log settings of a service process from its environment. */
export function logSettings(env: NodeJS.ProcessEnv, stdoutIsTTY: boolean): { json: boolean; colors: boolean; logLevels: LogLevel[] } {
  const format = (env.LOG_FORMAT ?? '').trim().toLowerCase();
  if (format && format !== 'json' && format !== 'text') throw new LogSettingError('LOG_FORMAT', env.LOG_FORMAT!, 'json or text');
  const json = format === 'json' || (format === '' && !stdoutIsTTY);
  let level = (env.LOG_LEVEL ?? '').trim().toLowerCase() || 'log';
  if (level === 'info') level = 'log';
  const at = LEVELS.indexOf(level as LogLevel);
  if (at < 0) throw new LogSettingError('LOG_LEVEL', env.LOG_LEVEL!, `one of ${LEVELS.join(', ')} (info = log)`);
  return { json, colors: !json && stdoutIsTTY && !env.NO_COLOR, logLevels: LEVELS.slice(at) };
}

/**
 * The logger of a service process (Nest 11 ConsoleLogger): JSON lines when stdout is not a terminal
 * or LOG_FORMAT=json, one object per line with time (ISO 8601), level, service, context, message
 * (and traceId/spanId of the active OpenTelemetry span when there is one, pid, stack); text otherwise, coloured only on a terminal. LOG_LEVEL (verbose, debug, log or
 * info, warn, error, fatal; default log) sets the least severe level written. Any
 * `scheme://user:password@` in a message has its password masked.
 */
export class ServiceLogger extends ConsoleLogger {
  constructor(
    private readonly service: string,
    env: NodeJS.ProcessEnv = process.env,
    stdoutIsTTY = Boolean(process.stdout.isTTY),
  ) {
    const settings = logSettings(env, stdoutIsTTY);
    super({ json: settings.json, colors: settings.colors, logLevels: settings.logLevels, compact: true, prefix: service });
  }

  protected override getJsonLogObject(
    message: unknown,
    options: { context: string; logLevel: LogLevel; writeStreamType?: 'stdout' | 'stderr'; errorStack?: unknown },
  ) {
    const base = super.getJsonLogObject(message, options);
    return {
      time: new Date(base.timestamp).toISOString(),
      level: base.level,
      service: this.service,
      context: base.context,
      message: typeof message === 'string' ? maskUrlsInText(message) : message,
      ...activeTraceIds(),
      pid: base.pid,
      timestamp: base.timestamp,
      ...(base.stack ? { stack: typeof base.stack === 'string' ? maskUrlsInText(base.stack) : base.stack } : {}),
    };
  }

  protected override stringifyMessage(message: unknown, logLevel: LogLevel): string {
    const text = super.stringifyMessage(message, logLevel) as string;
    return typeof text === 'string' ? maskUrlsInText(text) : text;
  }
}

/** traceId and spanId of the active OpenTelemetry span (a handler's, a request's), none without one. */
function activeTraceIds(): { traceId?: string; spanId?: string } {
  const span = trace.getActiveSpan()?.spanContext();
  return span && isSpanContextValid(span) ? { traceId: span.traceId, spanId: span.spanId } : {};
}
