/**
 * @meeting/queue: the messaging layer of the meeting platform.
 *
 * - `queue`: four-tier priority task queue (Redis and memory backends), leases, retries, DLQ.
 * - `events`: event buses (Redis pub/sub, Redis Streams, in-process).
 * - `scheduler`, `dispatcher`: delayed and recurring tasks; routing, status, callbacks, request/reply.
 * - `redis`: connection helpers and the Lua command loader.
 * - `errors`: typed errors.
 */
export * from './errors';
export * from './queue';
export * from './redis';
export * from './events';
export * from './scheduler';
export * from './dispatcher';
export * from './config';
export * from './metrics';
export * from './manager';
export * from './nest';
export * from './tracing';
// The decorators TaskHandler and EventHandler (each also the handler type of the same name) win over the types of ./queue and ./events.
export { EventHandler, TaskHandler } from './nest';
