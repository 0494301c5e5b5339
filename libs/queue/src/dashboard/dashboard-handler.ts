import { readFileSync } from 'fs';
import type { IncomingMessage, ServerResponse } from 'http';
import { join } from 'path';
import { QueueAdmin } from '../admin/queue-admin';
import { InvalidOptionError } from '../errors/queue-errors';
import { checkKnownKeys, checkOption, knownKeys, timerMsField } from '../util/fields';
import { within } from '../util/retry';
import { checkAllowedHosts, hostAllowed } from './allowed-hosts';
import { authorize, checkAdminToken, cookieAttributes, COOKIE, same, sessionValue } from './dashboard-auth';
import { ADMIN_ROUTES, apiSegments, findRoute, HttpError, methodNotAllowed, Route, RouteContext, safeJson } from './dashboard-routes';
import { checkTokenAttempts, seconds, TokenAttemptLimiter, TokenAttemptLimits, TokenAttemptOptions } from './token-attempts';

/** Options of {@link createDashboardHandler} (and of `startDashboardServer`). */
export interface DashboardOptions {
  /** What the dashboard shows and changes. */
  admin: QueueAdmin;
  /**
   * Token that unlocks mutating calls (header `x-admin-token`, or the login form's cookie), at least
   * 16 characters. Without it the dashboard is read-only.
   */
  adminToken?: string;
  /**
   * Host names the dashboard answers (the `Host` header, port not compared; `.example.com`: it and
   * its subdomains); any other gets 403 `host not allowed` (DNS rebinding). Default: every host
   * (`startDashboardServer` on a loopback address: the loopback names).
   */
  allowedHosts?: readonly string[];
  /** Failed admin-token attempts allowed per client address (default: 10 within 60 s, then 429 for 60 s). */
  tokenAttempts?: TokenAttemptOptions;
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

/** The keys of {@link DashboardOptions} (`startDashboardServer` takes these and its own). */
export const DASHBOARD_KEYS = knownKeys<DashboardOptions>({
  admin: true,
  adminToken: true,
  allowedHosts: true,
  tokenAttempts: true,
  audit: true,
  deadlineMs: true,
});

/** The options of {@link createDashboardHandler} it resolves: defaults applied, host names as compared. */
interface ResolvedDashboardOptions {
  deadlineMs: number;
  allowedHosts: readonly string[] | undefined;
  tokenAttempts: TokenAttemptLimits;
}

/**
 * Checks the options of {@link createDashboardHandler} (`known`: the keys accepted, more for
 * `startDashboardServer`) and resolves them. Throws {@link InvalidOptionError} at
 * `dashboard.<key>`; a bad token is shown by its type or length, never its text.
 */
export function checkDashboardOptions(options: unknown, known: readonly string[] = DASHBOARD_KEYS): ResolvedDashboardOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidOptionError('dashboard', options, `an options object { ${DASHBOARD_KEYS.join(', ')} }`);
  }
  checkKnownKeys(options, known, 'dashboard', InvalidOptionError);
  const { admin, adminToken, allowedHosts, tokenAttempts, audit, deadlineMs } = options as Record<string, unknown>;
  if (!(admin instanceof QueueAdmin)) throw new InvalidOptionError('dashboard.admin', admin, 'a QueueAdmin');
  checkAdminToken(adminToken, 'dashboard.adminToken', InvalidOptionError);
  const hosts = checkAllowedHosts(allowedHosts, 'dashboard.allowedHosts');
  const attempts = checkTokenAttempts(tokenAttempts, 'dashboard.tokenAttempts');
  if (audit !== undefined && typeof audit !== 'function') throw new InvalidOptionError('dashboard.audit', audit, 'a function (line) => void');
  return {
    deadlineMs: checkOption(timerMsField(1).default(DASHBOARD_DEADLINE_MS), deadlineMs, 'dashboard.deadlineMs', InvalidOptionError),
    allowedHosts: hosts,
    tokenAttempts: attempts,
  };
}

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
  const { deadlineMs, allowedHosts, tokenAttempts } = checkDashboardOptions(options);
  const audit = options.audit ?? ((line: string) => console.log(line));
  const attempts = new TokenAttemptLimiter(tokenAttempts, audit);
  const routes = [...sessionRoutes(options.adminToken, audit, attempts), ...ADMIN_ROUTES];
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
    attempts.sweep();
    const header = req.headers['x-admin-token'];
    // a token attempt (the login form, the header) from a blocked address: refused whatever the token
    if (options.adminToken && (header !== undefined || route.path === 'login')) refuseIfBlocked(attempts, remote(req));
    const who = authorize(req, options.adminToken);
    if (options.adminToken && header !== undefined && who === null) attempts.failed(remote(req));
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
      if (allowedHosts && !hostAllowed(req.headers.host, allowedHosts))
        throw new HttpError(403, 'host not allowed: this dashboard answers only the host names it is configured for');
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

/** 429 with `Retry-After` (s) while `address` is blocked for too many wrong tokens. */
function refuseIfBlocked(attempts: TokenAttemptLimiter, address: string): void {
  const ms = attempts.blockedFor(address);
  if (ms <= 0) return;
  const wait = seconds(ms);
  throw new HttpError(429, `too many wrong admin tokens from this address: try again in ${wait} s`, { 'retry-after': String(wait) });
}

/** `api/session`, `api/login` and `api/logout`: no Redis involved. */
function sessionRoutes(adminToken: string | undefined, audit: (line: string) => void, attempts: TokenAttemptLimiter): Route[] {
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
          if (adminToken) attempts.failed(remote(req));
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
