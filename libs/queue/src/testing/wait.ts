/**
 * Polling helpers for tests: wait for an outcome with a bound instead of sleeping a fixed time.
 */

type Falsy = false | 0 | '' | null | undefined;

/**
 * Polls `check` every `everyMs` until it returns a truthy value (returned), or throws naming
 * `what` after `timeoutMs` (default 15000: generous, since a met condition returns at once and a busy machine
 * can be many times slower than a quiet one; it stays under the 30 s test timeout so the failure names what was awaited).
 */
export async function waitFor<T>(check: () => T | Falsy | Promise<T | Falsy>, what = 'the condition', timeoutMs = 15_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A promise with its resolve function, for handlers that a test releases. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** The value of the first sample of `name` in a Prometheus exposition whose labels include `labels`. */
export function metricSample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}
