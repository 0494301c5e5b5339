import { createHash, createHmac, timingSafeEqual } from 'crypto';
import type { IncomingMessage } from 'http';
import type { OptionError } from '../util/fields';

/**
 * The dashboard's admin token: its minimum length, how a request proves it (the header, or the
 * login cookie holding an HMAC of it plus a same-origin `Origin`), constant-time comparisons.
 */

/** The shortest admin token taken (characters): a short one falls to guessing even at 10 tries a minute. */
export const ADMIN_TOKEN_MIN_LENGTH = 16;

/**
 * An admin token: absent or a string of at least {@link ADMIN_TOKEN_MIN_LENGTH} characters; a bad
 * one is named by its type, or its length, never its text.
 */
export function checkAdminToken(token: unknown, path: string, error: OptionError): void {
  if (token === undefined) return;
  const expected = `a string of at least ${ADMIN_TOKEN_MIN_LENGTH} characters`;
  if (typeof token !== 'string') throw new error(path, typeof token, expected);
  const length = [...token].length;
  if (length < ADMIN_TOKEN_MIN_LENGTH) throw new error(path, length === 0 ? '(empty)' : `a string of ${length} characters`, expected);
}

/** The login form's cookie. */
export const COOKIE = 'mq_admin';

/** Who may change things: null (read-only), else how the token came. */
export function authorize(req: IncomingMessage, token: string | undefined): string | null {
  if (!token) return null;
  const header = req.headers['x-admin-token'];
  if (typeof header === 'string' && same(header, token)) return 'admin (token header)';
  const cookie = parseCookie(req.headers.cookie ?? '')[COOKIE];
  if (cookie !== undefined && same(cookie, sessionValue(token))) {
    // the cookie is SameSite=Strict; a mutating request must also come from the dashboard's own origin
    if (req.method !== 'GET' && !sameOrigin(req)) return null;
    return 'admin (login cookie)';
  }
  return null;
}

/** Whether the request's Origin is the dashboard's own host (false without one, for `null` or a malformed one). */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (typeof origin !== 'string') return false;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/**
 * What the login cookie holds: an HMAC of the token, never the token itself, so a cookie that leaks
 * (a proxy's log) does not give the token that the `x-admin-token` header takes; it changes with the token.
 */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('mq-dashboard-session').digest('hex');
}

/**
 * The login cookie's attributes: `HttpOnly; SameSite=Strict`, its Path the dashboard's mount point
 * (`/queues` in a service: the cookie goes to no other route of the service), and `Secure` when the
 * request came over HTTPS (directly, or through a proxy saying `x-forwarded-proto: https`).
 */
export function cookieAttributes(req: IncomingMessage): string {
  // mounted (Express strips the mount point from req.url and keeps the whole path in originalUrl)
  const original = (req as { originalUrl?: unknown }).originalUrl;
  const full = typeof original === 'string' ? original.split('?')[0] : '';
  const inner = (req.url ?? '/').split('?')[0];
  const mount = full.endsWith(inner) ? full.slice(0, full.length - inner.length) : '';
  const forwarded = String(req.headers['x-forwarded-proto'] ?? '')
    .split(',')[0]
    .trim();
  const https = (req.socket as { encrypted?: boolean }).encrypted === true || forwarded === 'https';
  return `HttpOnly; SameSite=Strict; Path=${mount || '/'}${https ? '; Secure' : ''}`;
}

/** Constant time, whatever the lengths: the SHA-256 digests (32 bytes each) are compared, so a wrong token's length tells nothing either. */
export function same(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function parseCookie(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0) {
      try {
        out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        // a malformed cookie is ignored
      }
    }
  }
  return out;
}
