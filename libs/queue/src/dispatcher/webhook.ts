import { createHmac } from 'node:crypto';
import { sleepUnlessAborted, timeoutSignal } from '../util/abort';
import { MAX_TIMER_MS } from '../util/fields';
import { sleep } from '../util/retry';

/** How webhooks are delivered. */
export interface WebhookOptions {
  /** Tries in all (default 5); only a network error, a timeout, 408, 429 or 5xx is tried again. */
  attempts: number;
  /** Pause before the second try, doubled for each further one (default 200 ms). */
  backoffMs: number;
  /** Time limit of one request (default 5000 ms). */
  timeoutMs: number;
  /**
   * Signing secret (none by default): each request then carries `webhook-signature: v1,<base64>`,
   * the HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>` (Standard Webhooks). At least 16
   * characters, used as UTF-8 bytes; a `whsec_<base64>` secret is keyed with the decoded bytes, as
   * the Standard Webhooks libraries read it. Never logged.
   */
  secret?: string;
}

/** Longest `Retry-After` (seconds) of a 429 or 503 that is waited; a longer one gets the normal backoff. */
export const MAX_RETRY_AFTER_SECONDS = 30;

/** A delivery that failed for good: `tries` requests were made; `final` when the last answer was not worth another try. */
export class WebhookDeliveryError extends Error {
  constructor(
    message: string,
    readonly tries: number,
    readonly final: boolean,
  ) {
    super(message);
    this.name = 'WebhookDeliveryError';
  }
}

/** The HMAC key of a secret: the bytes after `whsec_` (base64), else the secret's UTF-8 bytes. */
function signingKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

/** `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` (Standard Webhooks `webhook-signature`). */
export function webhookSignature(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', signingKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** Whether an answer is worth another try: 408, 429 and 5xx (a redirect or another 4xx would get the same answer). */
function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** The wait a 429 or 503 asks for with `Retry-After: <seconds>`, when within {@link MAX_RETRY_AFTER_SECONDS}. */
function retryAfterMs(response: Response): number | undefined {
  if (response.status !== 429 && response.status !== 503) return undefined;
  const value = response.headers.get('retry-after')?.trim();
  if (!value || !/^\d{1,9}$/.test(value)) return undefined;
  const seconds = Number(value);
  return seconds <= MAX_RETRY_AFTER_SECONDS ? seconds * 1000 : undefined;
}

/** How long the normal backoff pauses after tries `from`..`to` (counting from 1) take in all. */
function backoffsMs(options: WebhookOptions, from: number, to: number): number {
  let total = 0;
  for (let attempt = from; attempt <= to; attempt++) total += options.backoffMs * 2 ** (attempt - 1);
  return total;
}

/**
 * Whether waiting until `elapsedMs` after the first try (then making the tries left, each up to
 * `timeoutMs`, with the normal backoff) ends within the time the whole delivery could take anyway:
 * every try timing out with the normal backoff (28 s with the defaults). A `Retry-After` never
 * stretches a delivery past that (an operator keeps it under the results' `claimIdleMs`, after
 * which another instance would take the entry over and deliver it again).
 */
function fitsSchedule(options: WebhookOptions, attempt: number, elapsedMs: number): boolean {
  const worstMs = options.attempts * options.timeoutMs + backoffsMs(options, 1, options.attempts - 1);
  const restMs = (options.attempts - attempt) * options.timeoutMs + backoffsMs(options, attempt + 1, options.attempts - 1);
  return elapsedMs + restMs <= worstMs;
}

/**
 * POSTs `body` as JSON to `url` as delivery `id` (stable across the tries of one outcome: the
 * task id). Headers: `webhook-id`, `webhook-timestamp` (Unix seconds of the try),
 * `webhook-attempt` (1, 2, ...) and, with a secret, `webhook-signature`. Redirects are not
 * followed (a 3xx is a failure); the answer's body is discarded unread. A network error, a
 * timeout, 408, 429 or 5xx is tried again after `backoffMs * 2^(try - 1)` (or the 429/503's
 * `Retry-After` seconds when longer, at most 30 and within the delivery's worst-case time, see
 * `fitsSchedule`); any other answer fails at once. Resolves to the number of tries used; rejects
 * with a {@link WebhookDeliveryError} once it failed for good. When `signal` fires (the dispatcher
 * closing past its drain time), the running request is aborted (its socket closed), no further try
 * or backoff follows, and it rejects with the signal's reason.
 */
export async function postWebhook(url: string, id: string, body: unknown, options: WebhookOptions, signal?: AbortSignal): Promise<number> {
  if (!isHttpUrl(url)) throw new WebhookDeliveryError('not an http:// or https:// URL (not retried)', 0, true);
  const payload = JSON.stringify(body);
  const started = performance.now();
  let lastMessage = '';
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    if (signal?.aborted) throw signal.reason;
    let pauseMs = options.backoffMs * 2 ** (attempt - 1);
    try {
      const timestamp = Math.floor(Date.now() / 1000);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-attempt': String(attempt),
      };
      if (options.secret) headers['webhook-signature'] = webhookSignature(options.secret, id, timestamp, payload);
      const limit = timeoutSignal(options.timeoutMs, signal);
      let response: Response;
      try {
        response = await fetch(url, { method: 'POST', headers, body: payload, redirect: 'manual', signal: limit.signal });
        // discarded without reading: a huge (or endless) answer is neither buffered nor waited for
        await response.body?.cancel().catch(() => undefined);
      } finally {
        limit.release();
      }
      if (response.ok) return attempt;
      if (response.status >= 300 && response.status < 400) {
        throw new WebhookDeliveryError(`HTTP ${response.status}: redirects are not followed (not retried)`, attempt, true);
      }
      if (!retryableStatus(response.status)) throw new WebhookDeliveryError(`HTTP ${response.status} (not retried: only 408, 429 and 5xx are)`, attempt, true);
      lastMessage = `HTTP ${response.status}`;
      const hintMs = retryAfterMs(response);
      if (hintMs !== undefined && fitsSchedule(options, attempt, performance.now() - started + hintMs)) pauseMs = Math.max(pauseMs, hintMs);
    } catch (error) {
      if (error instanceof WebhookDeliveryError) throw error;
      if (signal?.aborted) throw signal.reason;
      const cause = (error as { cause?: { message?: unknown } }).cause?.message;
      lastMessage = typeof cause === 'string' ? `${(error as Error).message} (${cause})` : (error as Error).message;
    }
    if (attempt < options.attempts) await (signal ? sleepUnlessAborted(Math.min(pauseMs, MAX_TIMER_MS), signal) : sleep(pauseMs));
  }
  throw new WebhookDeliveryError(lastMessage, options.attempts, false);
}

/** Whether `url` parses as an http:// or https:// URL with a host (what `dispatch` accepts as `webhookUrl`). */
export function isHttpUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
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
