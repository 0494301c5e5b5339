/** The soak's HTTP client: JSON calls to the apps with their latency recorded (for the latency series). */

/** One answered call: when it ended (ms since epoch), how long it took, its route (method and path with ids replaced). */
export interface Latency {
  at: number;
  ms: number;
  route: string;
}

/** A call that answered a status it should not have (or did not answer). */
export class SoakHttpError extends Error {
  override readonly name = 'SoakHttpError';

  constructor(
    readonly route: string,
    readonly status: number,
    detail: string,
  ) {
    super(`${route} answered ${status || 'nothing'}: ${detail.slice(0, 300)}`);
  }
}

export class SoakHttp {
  readonly latencies: Latency[] = [];

  /**
   * `method url` with a JSON body; returns the parsed answer.
   * @throws SoakHttpError when the status is not in `expected` (or the call failed or took longer than `timeoutMs`)
   */
  async call<T>(method: string, url: string, body?: unknown, expected = [200, 201, 202, 204], timeoutMs = 30_000): Promise<T> {
    const route = `${method} ${new URL(url).pathname.replace(/\/(m|rec|tsk|task)[-_][^/]+|\/[0-9a-f-]{16,}/gi, '/:id')}`;
    const started = Date.now();
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new SoakHttpError(route, 0, (error as Error).message);
    }
    const text = await res.text();
    this.latencies.push({ at: Date.now(), ms: Date.now() - started, route });
    if (!expected.includes(res.status)) throw new SoakHttpError(route, res.status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The status only (no body parsing, any status). */
  async status(url: string): Promise<number> {
    return fetch(url, { signal: AbortSignal.timeout(10_000) }).then(
      async (r) => (await r.arrayBuffer(), r.status),
      () => 0,
    );
  }
}

/** The `q` quantile (0..1) of `values` (NaN when empty). */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
