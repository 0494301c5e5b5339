import type { HandlerContext, QueueMessage } from '../queue/queue.types';
import type { DispatchHandlerContext } from './dispatcher';

/**
 * The context of a dispatched (or managed) task handler over the queue's run context. `signal` and
 * `progress` are read from the run context only when the handler reads them: the queue makes a
 * run's AbortController on first use of `signal` (about 1.8 µs of Node CPU per message when every
 * run made one, as spreading the run context did), and most handlers never look. As with the
 * queue's own context, they are own enumerable accessors defined with shared descriptors, so every
 * context has one hidden class (an object literal with getters made one per message) and
 * `{ ...context }` and destructuring see them.
 */
class DispatchContext implements DispatchHandlerContext {
  static readonly #signal: PropertyDescriptor = {
    enumerable: true,
    get(this: DispatchContext): AbortSignal {
      return this.#ctx.signal;
    },
  };
  static readonly #progressFn: PropertyDescriptor = {
    enumerable: true,
    get(this: DispatchContext): HandlerContext['progress'] {
      return this.#progress ? this.#progress() : this.#ctx.progress;
    },
  };
  static readonly #extendLeaseFn: PropertyDescriptor = {
    enumerable: true,
    get(this: DispatchContext): HandlerContext['extendLease'] {
      return this.#ctx.extendLease;
    },
  };
  readonly attempt: number;
  declare readonly signal: AbortSignal;
  declare readonly progress: HandlerContext['progress'];
  declare readonly extendLease: HandlerContext['extendLease'];
  readonly #ctx: HandlerContext;
  readonly #progress?: () => HandlerContext['progress'];

  constructor(
    ctx: HandlerContext,
    readonly message: QueueMessage,
    readonly taskId: string,
    readonly origin: string,
    progress: (() => HandlerContext['progress']) | undefined,
  ) {
    this.#ctx = ctx;
    this.#progress = progress;
    this.attempt = ctx.attempt;
    Object.defineProperty(this, 'signal', DispatchContext.#signal);
    Object.defineProperty(this, 'progress', DispatchContext.#progressFn);
    Object.defineProperty(this, 'extendLease', DispatchContext.#extendLeaseFn);
  }
}

/** `progress`, when given, replaces the run context's (the dispatcher's forwarder to the task's origin). */
export function dispatchContext(
  ctx: HandlerContext,
  message: QueueMessage,
  taskId: string,
  origin: string,
  progress?: () => HandlerContext['progress'],
): DispatchHandlerContext {
  return new DispatchContext(ctx, message, taskId, origin, progress);
}
