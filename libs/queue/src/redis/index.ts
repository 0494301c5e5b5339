export * from './redis-connection';
export * from './lua-loader';
