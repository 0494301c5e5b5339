import { createHash, createHmac, timingSafeEqual } from 'crypto';
import { readFileSync } from 'fs';
import type { IncomingMessage, ServerResponse } from 'http';
import { join } from 'path';
import { QueueAdmin } from '../admin/queue-admin';
import { InvalidOptionError } from '../errors/queue-errors';
import { checkKnownKeys, checkOption, knownKeys, OptionError, timerMsField } from '../util/fields';
import { within } from '../util/retry';
import { ADMIN_ROUTES, apiSegments, findRoute, HttpError, methodNotAllowed, Route, RouteContext, safeJson } from './dashboard-routes';

/** Options of {@link createDashboardHandler} (and of `startDashboardServer`). */
export interface DashboardOptions {
  /** What the dashboard shows and changes. */
  admin: QueueAdmin;
  /** Token that unlocks mutating calls (header `x-admin-token`, or the login form's cookie). Without it the dashboard is read-only. */
  adminToken?: string;
  /** Where each mutating call is reported (who, what). Default: console. */
  audit?: (line: string) => void;
  /**
   * How long an API call may wait for Redis (ms, default 5000). Past it the call is answered 503
   * `{ "error": "Redis did not answer within N ms" }`; the commands already sent stay queued on the
   * connection (a mutation may still be applied when Redis is back: audited when it is).
   */
  deadlineMs?: number;
}

/** {@link DashboardOptions.deadlineMs} by default. */
export const DASHBOARD_DEADLINE_MS = 5000;

const DASHBOARD_KEYS = knownKeys<DashboardOptions>({ admin: true, adminToken: true, audit: true, deadlineMs: true });

/**
 * Checks the options of {@link createDashboardHandler} (`known`: the keys accepted, more for
 * `startDashboardServer`); returns the deadline. Throws {@link InvalidOptionError} at
 * `dashboard.<key>`; a bad token is shown by its type, never its text.
 */
export function checkDashboardOptions(options: unknown, known: readonly string[] = DASHBOARD_KEYS): number {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidOptionError('dashboard', options, 'an options object { admin, adminToken, audit, deadlineMs }');
  }
  checkKnownKeys(options, known, 'dashboard', InvalidOptionError);
  const { admin, adminToken, audit, deadlineMs } = options as Record<string, unknown>;
  if (!(admin instanceof QueueAdmin)) throw new InvalidOptionError('dashboard.admin', admin, 'a QueueAdmin');
  checkAdminToken(adminToken, 'dashboard.adminToken', InvalidOptionError);
  if (audit !== undefined && typeof audit !== 'function') throw new InvalidOptionError('dashboard.audit', audit, 'a function (line) => void');
  return checkOption(timerMsField(1).default(DASHBOARD_DEADLINE_MS), deadlineMs, 'dashboard.deadlineMs', InvalidOptionError);
}

/** An admin token: absent or a non-empty string; a bad one is named by its type (or `(empty)`), never its text. */
export function checkAdminToken(token: unknown, path: string, error: OptionError): void {
  if (token !== undefined && (typeof token !== 'string' || token.length === 0))
    throw new error(path, token === '' ? '(empty)' : typeof token, 'a non-empty string');
}

const COOKIE = 'mq_admin';
const ASSETS: Record<string, [string, string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/app.css': ['app.css', 'text/css; charset=utf-8'],
};

/**
 * The dashboard: static page + JSON API (docs/dashboard.md) over a {@link QueueAdmin}, as a plain
 * Node request handler for a path prefix, so the Nest module and `mq dashboard` serve the same thing.
 * Reads are open; every mutating call needs the admin token (header, or the SameSite=Strict cookie of
 * the login form plus a same-origin Origin header) and is audited. Each API call is answered within
 * `deadlineMs` (503 when Redis did not answer by then). The returned promise never rejects.
 * @throws InvalidOptionError naming a bad or unknown option (`dashboard.adminToken`, ...)
 */
export function createDashboardHandler(options: DashboardOptions): (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void> {
  const deadlineMs = checkDashboardOptions(options);
  const audit = options.audit ?? ((line: string) => console.log(line));
  const routes = [...sessionRoutes(options.adminToken, audit), ...ADMIN_ROUTES];
  const assets = new Map<string, string>();
  const asset = (file: string) => {
    let text = assets.get(file);
    if (text === undefined) assets.set(file, (text = readFileSync(join(__dirname, 'assets', file), 'utf8')));
    return text;
  };

  /** A mutation: refused without the token; audited when done (even after its deadline passed) or when it timed out. */
  const mutate = async (route: Route, ctx: RouteContext, what: string): Promise<unknown> => {
    const from = `${ctx.who} from ${remote(ctx.req)}`;
    const done = route.run(ctx).then((result) => {
      audit(`dashboard: ${from}: ${what} -> ${JSON.stringify(result)}`);
      return result;
    });
    try {
      return await within(done, deadlineMs, () => new DeadlineError(deadlineMs));
    } catch (error) {
      if (error instanceof DeadlineError) audit(`dashboard: ${from}: ${what} -> ${error.message} (may still be applied; audited if it is)`);
      throw error;
    }
  };

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<unknown> => {
    const { route, params } = findRoute(routes, method, apiSegments(url.pathname));
    const who = authorize(req, options.adminToken);
    const what = `${method} ${url.pathname}`;
    if (route.access === 'admin' && !who) {
      audit(`dashboard: refused ${what} from ${remote(req)} (no admin token)`);
      throw new HttpError(403, options.adminToken ? 'admin token required' : 'read-only dashboard (no admin token configured)');
    }
    const body = method === 'GET' ? '' : await readBody(req);
    const ctx: RouteContext = { admin: options.admin, params, query: url.searchParams, body, req, res, who };
    return route.access === 'admin' ? mutate(route, ctx, what) : within(route.run(ctx), deadlineMs, () => new DeadlineError(deadlineMs));
  };

  return async (req, res, path) => {
    const method = req.method ?? 'GET';
    try {
      const url = requestUrl(path);
      const file = ASSETS[url.pathname];
      if (file) {
        if (method !== 'GET') throw methodNotAllowed(['GET']);
        return send(res, 200, asset(file[0]), file[1]);
      }
      if (!url.pathname.startsWith('/api/')) throw new HttpError(404, 'not found');
      return json(res, 200, await api(req, res, url, method));
    } catch (error) {
      return sendError(res, error);
    }
  };
}

/** `api/session`, `api/login` and `api/logout`: no Redis involved. */
function sessionRoutes(adminToken: string | undefined, audit: (line: string) => void): Route[] {
  return [
    { method: 'GET', path: 'session', access: 'open', run: async ({ who }) => ({ admin: who !== null, tokenConfigured: !!adminToken }) },
    {
      method: 'POST',
      path: 'login',
      access: 'open',
      run: async ({ req, res, body }) => {
        const token = new URLSearchParams(body).get('token') ?? safeJson(body)?.token;
        if (!adminToken || typeof token !== 'string' || !same(token, adminToken)) {
          audit(`dashboard: refused login from ${remote(req)}`);
          throw new HttpError(401, 'wrong token');
        }
        res.setHeader('set-cookie', `${COOKIE}=${sessionValue(adminToken)}; ${cookieAttributes(req)}`);
        audit(`dashboard: login from ${remote(req)}`);
        return { admin: true };
      },
    },
    {
      method: 'POST',
      path: 'logout',
      access: 'open',
      run: async ({ req, res }) => {
        res.setHeader('set-cookie', `${COOKIE}=; ${cookieAttributes(req)}; Max-Age=0`);
        return { admin: false };
      },
    },
  ];
}

/** 503: Redis (or whatever the call waited for) did not answer within the deadline. */
class DeadlineError extends HttpError {
  constructor(ms: number) {
    super(503, `Redis did not answer within ${ms} ms`);
  }
}

function requestUrl(path: string): URL {
  try {
    return new URL(path || '/', 'http://dashboard.local');
  } catch {
    throw new HttpError(400, 'malformed request path');
  }
}

/** Who may change things: null (read-only), else how the token came. */
function authorize(req: IncomingMessage, token: string | undefined): string | null {
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
function sessionValue(token: string): string {
  return createHmac('sha256', token).update('mq-dashboard-session').digest('hex');
}

/**
 * The login cookie's attributes: `HttpOnly; SameSite=Strict`, its Path the dashboard's mount point
 * (`/queues` in a service: the cookie goes to no other route of the service), and `Secure` when the
 * request came over HTTPS (directly, or through a proxy saying `x-forwarded-proto: https`).
 */
function cookieAttributes(req: IncomingMessage): string {
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
function same(a: string, b: string): boolean {
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

function remote(req: IncomingMessage): string {
  return req.socket?.remoteAddress ?? 'unknown';
}

async function readBody(req: IncomingMessage & { body?: unknown }): Promise<string> {
  // a framework may have parsed it already (Nest/Express body parsers)
  if (req.body !== undefined && req.body !== null) return typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 65_536) throw new HttpError(413, 'body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** An error answer of the dashboard (JSON `{ error }`, with its security headers), for the stand-alone server's own refusals. */
export function sendHttpError(res: ServerResponse, status: number, message: string): void {
  sendError(res, new HttpError(status, message));
}

function sendError(res: ServerResponse, error: unknown): void {
  if (error instanceof HttpError) {
    for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
    return json(res, error.status, { error: error.message });
  }
  const { name, message } = error as Error;
  json(res, name === 'InvalidOptionError' || name === 'QueueConfigError' ? 400 : 500, { error: message });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, JSON.stringify(body), 'application/json; charset=utf-8');
}

/**
 * On every answer (page, assets, API, errors): no script but app.js (no inline script or handler),
 * no framing (clickjacking of the action buttons), no `<base>` and no form posting elsewhere, no
 * Referer sent (the hash names the queue), no MIME sniffing, nothing cached.
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

function send(res: ServerResponse, status: number, text: string, type: string): void {
  res.statusCode = status;
  res.setHeader('content-type', type);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  res.end(text);
}
