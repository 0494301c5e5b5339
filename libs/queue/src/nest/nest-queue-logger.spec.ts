import { ConsoleLogger, Logger, LoggerService } from '@nestjs/common';
import { NestQueueLogger } from './nest-queue-logger';

describe('NestQueueLogger', () => {
  afterEach(() => Logger.overrideLogger(new ConsoleLogger()));

  it("sends every level to Nest's logger with the child's context", () => {
    const lines: string[] = [];
    const record =
      (level: string) =>
      (message: unknown, ...rest: unknown[]) =>
        lines.push(`${level} ${String(rest[rest.length - 1])} ${String(message)}`);
    const sink: LoggerService = { log: record('log'), warn: record('warn'), error: record('error'), debug: record('debug') };
    Logger.overrideLogger(sink);
    const logger = new NestQueueLogger().child('Queue:jobs');
    logger.debug('d');
    logger.log('l');
    logger.warn('w');
    logger.error('e');
    expect(lines).toEqual(['debug Queue:jobs d', 'log Queue:jobs l', 'warn Queue:jobs w', 'error Queue:jobs e']);
  });
});
