/**
 * @meeting/queue/testing: throwaway Redis servers and clusters for tests, unique key prefixes, and
 * helpers that wait for a condition instead of sleeping. For tests only: runtime code never imports it.
 */
export { findRedisServerBinary, freePort, RedisServerProcess } from '../redis/redis-server-process';
export type { RedisServerOptions } from '../redis/redis-server-process';
export { spawnRedis, spawnRedisCluster, testRedis, uniquePrefix } from './redis-harness';
export type { RedisClusterOptions, RedisServerHandle, TestRedisCluster } from './redis-harness';
export { TestRedisFixtureError, useTestRedis } from './use-test-redis';
export type { TestRedisFixture, TestRedisFixtureOptions } from './use-test-redis';
export { readLuaHeader } from './lua-header';
export type { LuaHeader } from './lua-header';
export { spawnRedisSentinel } from './redis-sentinel';
export type { RedisSentinelOptions, TestRedisSentinel } from './redis-sentinel';
export { deferred, metricSample, sleep, waitFor } from './wait';
export { quietLogger } from './quiet-logger';
export { promtool, PromtoolMissingError } from './promtool';
export { promqlNames } from './promql-names';
export type { PromqlNames } from './promql-names';
export { chromiumPath, ChromiumMissingError } from './chromium';
