/** Test helpers: throwaway Redis servers and clusters, unique key prefixes. */
export * from '../redis/redis-server-process';
export * from './redis-harness';
export * from './wait';
