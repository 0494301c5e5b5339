import { waitFor as poll } from '../../src/testing/wait';

export { deferred, sleep } from '../../src/testing/wait';

/** The shared poller with this suite's bounds: 10 s, every 10 ms. */
export function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000, everyMs = 10): Promise<T> {
  return poll(check, what, timeoutMs, everyMs);
}
