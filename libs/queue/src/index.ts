/**
 * @meeting/queue: the messaging layer of the meeting platform.
 *
 * - `queue`: four-tier priority task queue (Redis and memory backends), leases, retries, DLQ.
 * - `redis`: connection helpers and the Lua command loader.
 * - `errors`: typed errors.
 */
export * from './errors';
export * from './queue';
export * from './redis';
