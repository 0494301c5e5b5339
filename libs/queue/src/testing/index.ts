/** Test helpers: throwaway Redis servers and clusters, unique key prefixes, waits, promtool. */
export * from './redis-server-process';
export * from './redis-harness';
export * from './wait';
export * from './promtool';
