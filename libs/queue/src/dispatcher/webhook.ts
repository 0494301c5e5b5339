/** How webhooks are delivered. */
export interface WebhookOptions {
  /** Tries in all (default 5). */
  attempts: number;
  /** Pause before the second try, doubled for each further one (default 200 ms). */
  backoffMs: number;
  /** Time limit of one request (default 5000 ms). */
  timeoutMs: number;
}

/**
 * POSTs `body` as JSON to `url`, retrying on a network error or a non-2xx answer. Resolves to
 * the number of tries used; rejects with the last error once every try failed.
 */
export async function postWebhook(url: string, body: unknown, options: WebhookOptions): Promise<number> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return attempt;
      lastError = new Error(`HTTP ${response.status}`);
    } catch (error) {
      lastError = error;
    }
    if (attempt < options.attempts) await new Promise((resolve) => setTimeout(resolve, options.backoffMs * 2 ** (attempt - 1)));
  }
  throw lastError;
}

/** `https://user:secret@host/path?token=x` -> `https://host/path` (for logs). */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
