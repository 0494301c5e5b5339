/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * `promise`, or a rejection (`<what> took longer than <ms> ms`, or the error `what` makes) when it
 * has not settled within `ms` (the promise itself goes on). The bound's timer is cleared either
 * way, so a close() that bounds its steps with it leaves no timer behind to keep the process (a
 * Jest worker, a CLI) alive.
 */
export function within<T>(promise: Promise<T>, ms: number, what: string | (() => Error)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = () => (typeof what === 'string' ? new Error(`${what} took longer than ${ms} ms`) : what());
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(late()), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Waits until `work` settles or `ms` pass, whichever comes first: `true` when the work settled in
 * time (a rejection counts as settled and is swallowed), `false` after the bound (see `within`).
 */
export function settleWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  const settled = work.then(
    () => true,
    () => true,
  );
  return within(settled, ms, 'work').catch(() => false);
}

/**
 * The pause of a loop that retries after failures (a fetch loop, a reader of results or replies,
 * the scheduler loop): `baseMs * 2^failures`, at most `maxMs` (default 5000). `succeeded()` starts
 * over; `failed()` counts a failure and returns how long to pause before the next try.
 *
 * ```ts
 * const backoff = new FailureBackoff(50);
 * while (!closing) {
 *   try { await step(); backoff.succeeded(); }
 *   catch (error) { const pause = backoff.failed(); log(error, pause); await sleep(pause); }
 * }
 * ```
 */
export class FailureBackoff {
  private failures = 0;
  private readonly maxExponent: number;

  constructor(
    private readonly baseMs: number,
    private readonly maxMs = 5000,
  ) {
    // The smallest exponent at which the pause reaches maxMs (beyond it only the cap applies).
    this.maxExponent = Math.max(0, Math.ceil(Math.log2(maxMs / Math.max(1, baseMs))));
  }

  /** Consecutive failures so far. */
  get count(): number {
    return this.failures;
  }

  succeeded(): void {
    this.failures = 0;
  }

  /** Counts a failure; the pause before the next try. */
  failed(): number {
    this.failures++;
    return Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.failures, this.maxExponent));
  }
}

/**
 * Runs `step` up to `attempts` times, pausing `pauseMs * attempt` between tries (a short Redis
 * hiccup); the last error is thrown.
 */
export async function retryBriefly<T>(step: () => Promise<T>, attempts = 3, pauseMs = 100): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await sleep(pauseMs * attempt);
    }
  }
}
