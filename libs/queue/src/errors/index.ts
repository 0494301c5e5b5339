export * from './queue-errors';
export * from './redis-errors';
