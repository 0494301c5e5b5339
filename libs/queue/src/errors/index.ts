export * from './queue-errors';
