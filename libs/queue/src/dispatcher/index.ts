// Public API of the dispatcher concept: routing, status, callbacks, webhooks, request/reply (docs/dispatcher.md).
export * from './dispatcher';
export * from './dispatcher-errors';
export { createDispatcher } from './create-dispatcher';
export type { CreateDispatcherOptions, DispatcherBackend } from './create-dispatcher';
export { TaskDispatcher } from './task-dispatcher';
export type { TaskDispatcherSettings } from './task-dispatcher';
export { MemoryDispatchHub, MemoryDispatcherStore } from './memory/memory-dispatcher-store';
export { RedisDispatcherStore, DispatcherKeys, dispatcherCommands } from './redis/redis-dispatcher-store';
export type { DispatcherStore } from './dispatcher-store';
export type { WebhookOptions } from './webhook';
export { validateRoutes } from './dispatch-prepare';
