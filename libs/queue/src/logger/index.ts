export { ConsoleQueueLogger, loggerFor } from './queue-logger';
export type { ConsoleQueueLoggerOptions, LogFormat, QueueLogger } from './queue-logger';
