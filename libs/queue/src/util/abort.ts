import { InvalidOptionError } from '../errors';
import { checkOption, MAX_TIMER_MS, numberField } from './fields';

/**
 * Settles like `work`, or rejects with the signal's reason when the signal fires first (a handler
 * that timed out or lost its lease counts as failed at once, even if its promise never settles).
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** What `sleepUnlessAborted` waits: a finite number of ms a timer can wait (fractions are fine). */
const SLEEP_MS = numberField(0, MAX_TIMER_MS);

/**
 * Waits `ms` unless `signal` fires first, then rejects with the signal's reason (a handler's
 * `TaskTimeoutError`, `LeaseLostError` or shutdown): simulated or paced work inside a handler.
 * `ms` is a number in [0, 2^31 - 1] (a longer timer would fire after 1 ms); `signal` is required
 * (pass the handler's `ctx.signal`: a sleep nothing can end is what this function avoids).
 * Rejects with {@link InvalidOptionError} at `sleepUnlessAborted.ms` / `sleepUnlessAborted.signal`
 * for anything else, before waiting.
 */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  try {
    checkOption(SLEEP_MS, ms, 'sleepUnlessAborted.ms', InvalidOptionError);
    if (!isAbortSignal(signal)) throw new InvalidOptionError('sleepUnlessAborted.signal', signal, "an AbortSignal (the handler's ctx.signal)");
  } catch (error) {
    return Promise.reject(error);
  }
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Duck-typed (a signal of another realm, such as Jest's sandbox, passes). */
function isAbortSignal(value: unknown): value is AbortSignal {
  const signal = value as Partial<AbortSignal> | null;
  return (
    typeof signal === 'object' &&
    signal !== null &&
    typeof signal.aborted === 'boolean' &&
    typeof signal.addEventListener === 'function' &&
    typeof signal.removeEventListener === 'function'
  );
}

/**
 * A signal that fires after `timeoutMs` (the reason a `TimeoutError`, as `AbortSignal.timeout`)
 * or when `outer` fires (with its reason): one try of a request under a long-lived signal (a
 * webhook try under the dispatcher's close). `release()` unhooks it from `outer`, so no listener
 * per try is left behind on a signal that lives as long as its owner (unlike `AbortSignal.any`).
 */
export function timeoutSignal(timeoutMs: number, outer: AbortSignal | undefined): { signal: AbortSignal; release: () => void } {
  const timeout = AbortSignal.timeout(timeoutMs);
  if (!outer) return { signal: timeout, release: () => undefined };
  const controller = new AbortController();
  const onOuter = () => controller.abort(outer.reason);
  const onTimeout = () => controller.abort(timeout.reason);
  if (outer.aborted) onOuter();
  outer.addEventListener('abort', onOuter, { once: true });
  timeout.addEventListener('abort', onTimeout, { once: true });
  return {
    signal: controller.signal,
    release: () => {
      outer.removeEventListener('abort', onOuter);
      timeout.removeEventListener('abort', onTimeout);
    },
  };
}
