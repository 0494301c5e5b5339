import { Logger } from '@nestjs/common';
import type { QueueLogger } from '../logger';

/**
 * The library's {@link QueueLogger} over Nest's `Logger`: lines go wherever the application's
 * logger goes (`app.useLogger`, `createNestApplication({ logger })`, `logger: false`), with the
 * component as Nest context (`Queue:jobs`, `Scheduler:ai`, ...). `QueueModule` gives it to the
 * managers it creates; pass it yourself to `QueueManager.create(config, { logger: new NestQueueLogger() })`.
 */
export class NestQueueLogger implements QueueLogger {
  private readonly logger: Logger;

  constructor(context = 'Queue') {
    this.logger = new Logger(context);
  }

  debug(message: string): void {
    this.logger.debug(message);
  }

  log(message: string): void {
    this.logger.log(message);
  }

  warn(message: string): void {
    this.logger.warn(message);
  }

  error(message: string): void {
    this.logger.error(message);
  }

  child(context: string): QueueLogger {
    return new NestQueueLogger(context);
  }
}
