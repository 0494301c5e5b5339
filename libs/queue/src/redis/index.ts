export * from './redis-connection';
export * from './lua-loader';
export * from './embedded-redis';
