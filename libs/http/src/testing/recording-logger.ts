import type { LoggerService } from '@nestjs/common';

/** One line a {@link RecordingLogger} kept. */
export interface RecordedLine {
  level: 'log' | 'warn' | 'error';
  message: string;
}

/**
 * A Nest logger for tests (`createNestApplication({ logger })`) that keeps what the application
 * logs, by level, in `lines`: `log` and `warn` lines as their message, `error` lines with their
 * extra arguments (stack, context) joined by spaces. Debug and verbose lines are dropped.
 */
export class RecordingLogger implements LoggerService {
  readonly lines: RecordedLine[] = [];
  log = (message: unknown): void => void this.lines.push({ level: 'log', message: String(message) });
  warn = (message: unknown): void => void this.lines.push({ level: 'warn', message: String(message) });
  error = (message: unknown, ...rest: unknown[]): void => void this.lines.push({ level: 'error', message: [message, ...rest].map(String).join(' ') });
  debug = (): void => undefined;
  verbose = (): void => undefined;
}
