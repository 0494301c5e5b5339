import { waitFor as poll } from '../../src/testing/wait';
import { within } from '../../src/util/retry';

export { deferred, sleep } from '../../src/testing/wait';

/** The shared poller with this suite's bounds: 10 s, every 10 ms. */
export function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000, everyMs = 10): Promise<T> {
  return poll(check, what, timeoutMs, everyMs);
}

/** What `call` rejects with, however long that takes; an error saying so when it resolves. */
export function rejection(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    (value) => new Error(`expected a rejection, got ${JSON.stringify(value)}`),
    (error: unknown) => error,
  );
}

/**
 * What `call` rejects with within `ms` (default 5 s: far above a prompt answer, far below the
 * timeouts a waiting call would run into); an error saying so when it resolves or is still pending.
 */
export function rejectionWithin(call: Promise<unknown>, ms = 5000): Promise<unknown> {
  return rejection(within(call, ms, 'the call'));
}

/** Whether `call` resolves within `ms` (default 5 s); false when it rejects or is still pending. */
export function resolvesWithin(call: Promise<unknown>, ms = 5000): Promise<boolean> {
  return within(call, ms, 'the call').then(
    () => true,
    () => false,
  );
}

/**
 * The longest time this process's event loop went without running a timer while `run` ran
 * (sampled every 10 ms): how long the process itself was starved (GC, CPU taken by other
 * processes). A test of a time bound uses it to tell a starved process from a broken promise.
 */
export async function longestStall<T>(run: () => Promise<T>): Promise<{ value: T; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 10);
  try {
    const value = await run();
    stallMs = Math.max(stallMs, performance.now() - last);
    return { value, stallMs };
  } finally {
    clearInterval(ticker);
  }
}
