import { Context, ContextManager } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

/**
 * For tests of a broken application context manager: AsyncLocalStorage, except that `active` or
 * `with` throw while `throws(method)` says so.
 */
export class FaultyContextManager implements ContextManager {
  private readonly inner = new AsyncLocalStorageContextManager();

  constructor(private readonly throws: (method: 'active' | 'with') => boolean) {}

  active(): Context {
    if (this.throws('active')) throw new Error('context.active boom');
    return this.inner.active();
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    if (this.throws('with')) throw new Error('context.with boom');
    return this.inner.with(ctx, fn, thisArg, ...args);
  }

  bind<T>(ctx: Context, target: T): T {
    return this.inner.bind(ctx, target);
  }

  enable(): this {
    this.inner.enable();
    return this;
  }

  disable(): this {
    this.inner.disable();
    return this;
  }
}
