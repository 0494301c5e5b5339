import type { TaskHandlerOptions } from '../manager/manager.types';

export const TASK_HANDLER_METADATA = 'meeting-queue:task-handler';
export const EVENT_HANDLER_METADATA = 'meeting-queue:event-handler';
export const LOCAL_EVENT_HANDLER_METADATA = 'meeting-queue:local-event-handler';

export interface TaskHandlerMetadata extends TaskHandlerOptions {
  type: string;
}

/**
 * Marks a provider or controller method as the handler of task `type`. It is called as
 * `method(payload, context)`, a `ManagedTaskHandler` (context: `attempt`, `signal`, `extendLease`, `progress`,
 * `message`, `taskId`, `origin`); its return value is the task's result (the reply of a request/reply dispatch).
 * Throwing fails the attempt: the queue retries it with backoff, then dead-letters it.
 * Registered when the application bootstraps; drained on shutdown. Stacks: one method can handle several types.
 * @param options `queue` (default `message_queue.queue_name`), `concurrency` (default the queue's `workers`), `timeoutMs` (default none)
 */
export function OnTask(type: string, options: TaskHandlerOptions = {}): MethodDecorator {
  return appendMetadata<TaskHandlerMetadata>(TASK_HANDLER_METADATA, { ...options, type });
}

/**
 * Marks a method as a handler of events on a channel or glob pattern (`meeting.*`) of the event
 * bus (`event_bus.type`). Called as `method(event, context)` with the CloudEvents envelope
 * (`event.data` is the payload) and `{ channel, pattern, deliveryCount }`. (Same name as the
 * decorator of `@nestjs/event-emitter`: import one of them under another name if you use both.)
 */
export function OnEvent(channelOrPattern: string): MethodDecorator {
  return appendMetadata(EVENT_HANDLER_METADATA, channelOrPattern);
}

/** Marks a method as a handler of an in-process event type (or glob) on the manager's local bus. Called as `method(event, context)`. */
export function OnLocalEvent(type: string): MethodDecorator {
  return appendMetadata(LOCAL_EVENT_HANDLER_METADATA, type);
}

/**
 * Adds `value` to the method's list under `key`, so that decorators stack like those of
 * `@nestjs/event-emitter`: `@OnEvent('a') @OnEvent('b')` handles both (each one registers).
 */
function appendMetadata<T>(key: string, value: T): MethodDecorator {
  return (_target, _name, descriptor) => {
    const method = descriptor.value as object;
    const previous: unknown = Reflect.getMetadata(key, method);
    Reflect.defineMetadata(key, [...(Array.isArray(previous) ? previous : []), value], method);
    return descriptor;
  };
}
