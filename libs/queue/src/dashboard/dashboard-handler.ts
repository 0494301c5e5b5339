import { timingSafeEqual } from 'crypto';
import { readFileSync } from 'fs';
import type { IncomingMessage, ServerResponse } from 'http';
import { join } from 'path';
import type { QueueAdmin } from '../admin/queue-admin';
import { PRIORITIES } from '../queue/queue.types';
import type { PeekTarget } from '../queue/queue-inspection.types';

export interface DashboardOptions {
  admin: QueueAdmin;
  /** Token that unlocks mutating calls (header `x-admin-token`, or the login form's cookie). Without it the dashboard is read-only. */
  adminToken?: string;
  /** Where each mutating call is reported (who, what). Default: console. */
  audit?: (line: string) => void;
}

const COOKIE = 'mq_admin';
const ASSETS: Record<string, [string, string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/app.css': ['app.css', 'text/css; charset=utf-8'],
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The dashboard: static page + JSON API (docs/dashboard.md) over a {@link QueueAdmin}, as a plain
 * Node request handler for a path prefix, so the Nest module and `mq dashboard` serve the same thing.
 * Reads are open; every mutating call needs the admin token (header, or the SameSite=Strict cookie of
 * the login form plus a same-origin Origin header) and is audited.
 */
export function createDashboardHandler(options: DashboardOptions): (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void> {
  const audit = options.audit ?? ((line: string) => console.log(line));
  const assets = new Map<string, string>();
  const asset = (file: string) => {
    let text = assets.get(file);
    if (text === undefined) assets.set(file, (text = readFileSync(join(__dirname, 'assets', file), 'utf8')));
    return text;
  };

  return async (req, res, path) => {
    const url = new URL(path || '/', 'http://dashboard.local');
    const method = req.method ?? 'GET';
    try {
      const file = ASSETS[url.pathname];
      if (file && method === 'GET') {
        return send(res, 200, asset(file[0]), file[1]);
      }
      if (!url.pathname.startsWith('/api/')) throw new HttpError(404, 'not found');
      const route = url.pathname.slice(5).split('/').map(decodeURIComponent);
      const who = authorize(req, options.adminToken);
      if (method === 'POST' && route[0] === 'login') {
        const body = await readBody(req);
        const token = new URLSearchParams(body).get('token') ?? safeJson(body)?.token;
        if (!options.adminToken || typeof token !== 'string' || !same(token, options.adminToken)) {
          audit(`dashboard: refused login from ${remote(req)}`);
          throw new HttpError(401, 'wrong token');
        }
        res.setHeader('set-cookie', `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
        audit(`dashboard: login from ${remote(req)}`);
        return json(res, 200, { admin: true });
      }
      if (method === 'POST' && route[0] === 'logout') {
        res.setHeader('set-cookie', `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
        return json(res, 200, { admin: false });
      }
      if (method === 'GET') return json(res, 200, await read(options.admin, route, url.searchParams, who !== null, !!options.adminToken));
      if (method !== 'POST' && method !== 'DELETE') throw new HttpError(405, 'method not allowed');
      if (!who) {
        audit(`dashboard: refused ${method} ${url.pathname} from ${remote(req)} (no admin token)`);
        throw new HttpError(403, options.adminToken ? 'admin token required' : 'read-only dashboard (no admin token configured)');
      }
      const result = await mutate(options.admin, method, route, await readBody(req));
      audit(`dashboard: ${who} from ${remote(req)}: ${method} ${url.pathname} -> ${JSON.stringify(result)}`);
      return json(res, 200, result);
    } catch (error) {
      if (error instanceof HttpError) return json(res, error.status, { error: error.message });
      const name = (error as Error).name;
      if (name === 'InvalidOptionError' || name === 'QueueConfigError') return json(res, 400, { error: (error as Error).message });
      return json(res, 500, { error: (error as Error).message });
    }
  };
}

/** Parked messages counted per type on each refresh of a queue's page (the per-tier counts are exact). */
const LIMITS_SCAN = 1000;

async function read(admin: QueueAdmin, route: string[], q: URLSearchParams, isAdmin: boolean, tokenConfigured: boolean): Promise<unknown> {
  const [head, name, part] = route;
  if (head === 'session') return { admin: isAdmin, tokenConfigured };
  if (head === 'overview') return { prefix: admin.prefix, at: Date.now(), queues: await admin.overview() };
  if (head === 'schedules') return { items: await admin.schedules() };
  if (head === 'groups') return { groups: await admin.groups() };
  if (head === 'channels') return { at: Date.now(), eventPrefix: admin.eventPrefix, ...(await admin.pubsub({ sample: true })) };
  if (head === 'queues' && name) {
    if (!(await admin.exists(name))) throw new HttpError(404, `queue "${name}" not found`);
    const limit = intParam(q, 'limit', 20, 1, 1000);
    if (!part) {
      const [info, workers, inflight, delayed, completed, limits, groups] = await Promise.all([
        admin.info(name),
        admin.workers(name),
        admin.inflight(name, { limit }),
        admin.peek(name, 'delayed', { limit }),
        admin.peek(name, 'completed', { limit }),
        admin.rateLimits(name, LIMITS_SCAN),
        admin.queueGroups(name, limit),
      ]);
      return { at: Date.now(), info, workers, inflight, delayed, completed, limits, groups };
    }
    if (part === 'groups') return admin.queueGroups(name, intParam(q, 'limit', 100, 1, 1000));
    if (part === 'workers') return { queue: name, workers: await admin.workers(name) };
    if (part === 'limits') return admin.rateLimits(name, intParam(q, 'scan', 10_000, 0, 1_000_000));
    if (part === 'peek') {
      const target = q.get('target') ?? 'normal';
      if (![...PRIORITIES, 'inflight', 'delayed', 'completed'].includes(target)) throw new HttpError(400, `target: ${target}`);
      return admin.peek(name, target as PeekTarget, { limit, offset: intParam(q, 'offset', 0, 0, Number.MAX_SAFE_INTEGER) });
    }
    if (part === 'dead-letters') {
      const id = route[3];
      if (id) {
        const d = await admin.deadLetter(name, id);
        if (!d) throw new HttpError(404, `dead letter "${id}" not found`);
        return d;
      }
      const since = q.get('since');
      return {
        queue: name,
        ...(await admin.deadLetters(name, {
          type: q.get('type') ?? undefined,
          since: since ? Number(since) : undefined,
          limit: intParam(q, 'limit', 50, 1, 10_000),
        })),
      };
    }
  }
  throw new HttpError(404, 'not found');
}

async function mutate(admin: QueueAdmin, method: string, route: string[], body: string): Promise<unknown> {
  const [head, name, part, id, action] = route;
  if (head === 'schedules' && name === 'cancel' && method === 'POST') {
    const scheduleId = safeJson(body)?.id;
    if (typeof scheduleId !== 'string') throw new HttpError(400, 'body: { "id": "<schedule id>" }');
    const schedulers = await admin.cancelSchedule(scheduleId);
    if (schedulers.length === 0) throw new HttpError(404, `schedule "${scheduleId}" not found`);
    return { id: scheduleId, schedulers };
  }
  if (head !== 'queues' || !name) throw new HttpError(404, 'not found');
  if (!(await admin.exists(name))) throw new HttpError(404, `queue "${name}" not found`);
  if (method === 'POST' && (part === 'pause' || part === 'resume')) {
    await (part === 'pause' ? admin.pause(name) : admin.resume(name));
    return { queue: name, paused: part === 'pause' };
  }
  if (part !== 'dead-letters') throw new HttpError(404, 'not found');
  if (method === 'POST' && id === 'purge') return { queue: name, deleted: await admin.purgeMatching(name) };
  if (method === 'POST' && id === 'replay-all') return { queue: name, replayed: await admin.replayMatching(name) };
  if (method === 'POST' && id && action === 'replay') {
    const replayed = await admin.replay(name, [id]);
    if (replayed.length === 0) throw new HttpError(404, `dead letter "${id}" not found`);
    return { queue: name, replayed };
  }
  if (method === 'DELETE' && id) {
    const deleted = await admin.deleteDeadLetters(name, [id]);
    if (deleted.length === 0) throw new HttpError(404, `dead letter "${id}" not found`);
    return { queue: name, deleted };
  }
  throw new HttpError(404, 'not found');
}

/** Who may change things: null (read-only), else how the token came. */
function authorize(req: IncomingMessage, token: string | undefined): string | null {
  if (!token) return null;
  const header = req.headers['x-admin-token'];
  if (typeof header === 'string' && same(header, token)) return 'admin (token header)';
  const cookie = parseCookie(req.headers.cookie ?? '')[COOKIE];
  if (cookie !== undefined && same(cookie, token)) {
    // the cookie is SameSite=Strict; a mutating request must also come from the dashboard's own origin
    const origin = req.headers.origin;
    if (req.method !== 'GET' && (typeof origin !== 'string' || new URL(origin).host !== req.headers.host)) return null;
    return 'admin (login cookie)';
  }
  return null;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
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

function intParam(q: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const v = q.get(name);
  if (v === null) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new HttpError(400, `${name}: expected an integer in [${min}, ${max}]`);
  return n;
}

function safeJson(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
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

function json(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, JSON.stringify(body), 'application/json; charset=utf-8');
}

function send(res: ServerResponse, status: number, text: string, type: string): void {
  res.statusCode = status;
  res.setHeader('content-type', type);
  res.setHeader('cache-control', 'no-store');
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('content-security-policy', "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; frame-ancestors 'none'");
  res.end(text);
}
