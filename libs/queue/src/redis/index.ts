export * from './redis-connection';
export * from './outage-log';
export * from './lua-loader';
export * from './embedded-redis';
