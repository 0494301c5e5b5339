import type { IncomingMessage, ServerResponse } from 'http';
import type { QueueAdmin } from '../admin/queue-admin';
import { PRIORITIES } from '../queue/queue.types';
import type { PeekTarget } from '../queue/queue-inspection.types';
import { parseSince, SINCE_EXPECTED } from '../admin/since';
import { parseJsonOr } from '../util/json';

/** An error the dashboard answers with its status, `{ "error": message }` and `headers`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

const METHODS = ['GET', 'POST', 'DELETE'] as const;
/** The methods the JSON API has. */
export type HttpMethod = (typeof METHODS)[number];

/** What a route is given to answer a request. */
export interface RouteContext {
  admin: QueueAdmin;
  /** The `:x` segments of the route's path, percent-decoded. */
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  /** The request body (empty for GET). */
  body: string;
  req: IncomingMessage;
  res: ServerResponse;
  /** Who may change things (the handler's `authorize`): null when read-only. */
  who: string | null;
}

/** One route of the JSON API (docs/dashboard.md). */
export interface Route {
  method: HttpMethod;
  /** Below `api/`, `/`-separated; a segment `:x` matches any non-empty one (`params.x`). */
  path: string;
  /** `open`: anyone; `admin`: needs the admin token, and is audited. */
  access: 'open' | 'admin';
  run(ctx: RouteContext): Promise<unknown>;
}

/**
 * The route for `method` on `segments` and its parameters. Throws 404 when no route has that path,
 * 405 (with `Allow`) when some do but not with that method.
 */
export function findRoute(routes: readonly Route[], method: string, segments: readonly string[]): { route: Route; params: Record<string, string> } {
  const allow: HttpMethod[] = [];
  for (const route of routes) {
    const params = matchPath(route.path, segments);
    if (!params) continue;
    if (route.method === method) return { route, params };
    if (!allow.includes(route.method)) allow.push(route.method);
  }
  if (allow.length === 0) throw new HttpError(404, 'not found');
  throw methodNotAllowed(METHODS.filter((m) => allow.includes(m)));
}

/** 405 naming the methods the path allows (also in the `Allow` header). */
export function methodNotAllowed(allow: readonly string[]): HttpError {
  return new HttpError(405, `method not allowed (allowed: ${allow.join(', ')})`, { allow: allow.join(', ') });
}

/** The segments of a path below `/api/`, percent-decoded; 400 for a malformed escape (`%ZZ`). */
export function apiSegments(pathname: string): string[] {
  return pathname
    .slice('/api/'.length)
    .split('/')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        throw new HttpError(400, `malformed percent-encoding in the path: "${segment}"`);
      }
    });
}

function matchPath(pattern: string, segments: readonly string[]): Record<string, string> | undefined {
  const parts = pattern.split('/');
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of parts.entries()) {
    if (part.startsWith(':') && segments[i] !== '') params[part.slice(1)] = segments[i];
    else if (part !== segments[i]) return undefined;
  }
  return params;
}

/** Parked messages counted per type on each refresh of a queue's page (the per-tier counts are exact). */
const LIMITS_SCAN = 1000;
const PEEK_TARGETS: readonly PeekTarget[] = [...PRIORITIES, 'inflight', 'delayed', 'completed'];

/** The reads and the mutations over a {@link QueueAdmin} (login, logout and session are the handler's). */
export const ADMIN_ROUTES: readonly Route[] = [
  { method: 'GET', path: 'overview', access: 'open', run: overview },
  { method: 'GET', path: 'schedules', access: 'open', run: async ({ admin }) => ({ items: await admin.schedules() }) },
  { method: 'GET', path: 'groups', access: 'open', run: async ({ admin }) => ({ groups: await admin.groups() }) },
  { method: 'GET', path: 'channels', access: 'open', run: channels },
  { method: 'GET', path: 'queues/:name', access: 'open', run: queuePage },
  { method: 'GET', path: 'queues/:name/groups', access: 'open', run: queueGroups },
  { method: 'GET', path: 'queues/:name/workers', access: 'open', run: workers },
  { method: 'GET', path: 'queues/:name/limits', access: 'open', run: rateLimits },
  { method: 'GET', path: 'queues/:name/peek', access: 'open', run: peek },
  { method: 'GET', path: 'queues/:name/dead-letters', access: 'open', run: deadLetters },
  { method: 'GET', path: 'queues/:name/dead-letters/:id', access: 'open', run: deadLetter },
  { method: 'POST', path: 'schedules/cancel', access: 'admin', run: cancelSchedule },
  { method: 'POST', path: 'queues/:name/pause', access: 'admin', run: (ctx) => setPaused(ctx, true) },
  { method: 'POST', path: 'queues/:name/resume', access: 'admin', run: (ctx) => setPaused(ctx, false) },
  { method: 'POST', path: 'queues/:name/dead-letters/purge', access: 'admin', run: purge },
  { method: 'POST', path: 'queues/:name/dead-letters/replay-all', access: 'admin', run: replayAll },
  { method: 'POST', path: 'queues/:name/dead-letters/:id/replay', access: 'admin', run: replayDeadLetter },
  { method: 'DELETE', path: 'queues/:name/dead-letters/:id', access: 'admin', run: deleteDeadLetter },
];

/** The queue of the route's `:name`, once it exists (404 otherwise). */
async function queue({ admin, params }: RouteContext): Promise<string> {
  if (!(await admin.exists(params.name))) throw new HttpError(404, `queue "${params.name}" not found`);
  return params.name;
}

async function overview({ admin }: RouteContext): Promise<unknown> {
  return { prefix: admin.prefix, at: Date.now(), queues: await admin.overview() };
}

async function channels({ admin }: RouteContext): Promise<unknown> {
  return { at: Date.now(), eventPrefix: admin.eventPrefix, ...(await admin.pubsub({ sample: true })) };
}

async function queuePage(ctx: RouteContext): Promise<unknown> {
  const { admin } = ctx;
  const limit = intParam(ctx.query, 'limit', 20, 1, 1000);
  const name = await queue(ctx);
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

async function queueGroups(ctx: RouteContext): Promise<unknown> {
  const limit = intParam(ctx.query, 'limit', 100, 1, 1000);
  return ctx.admin.queueGroups(await queue(ctx), limit);
}

async function workers(ctx: RouteContext): Promise<unknown> {
  const name = await queue(ctx);
  return { queue: name, workers: await ctx.admin.workers(name) };
}

async function rateLimits(ctx: RouteContext): Promise<unknown> {
  const scan = intParam(ctx.query, 'scan', 10_000, 0, 1_000_000);
  return ctx.admin.rateLimits(await queue(ctx), scan);
}

/** A page of a tier, of the delayed or completed messages, or of those in flight (with holder, heldMs, leaseEndsInMs: `mq peek --tier inflight`). */
async function peek(ctx: RouteContext): Promise<unknown> {
  const target = ctx.query.get('target') ?? 'normal';
  if (!isPeekTarget(target)) throw new HttpError(400, `target: expected one of ${PEEK_TARGETS.join(', ')}, got "${target}"`);
  const options = { limit: intParam(ctx.query, 'limit', 20, 1, 1000), offset: intParam(ctx.query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER) };
  const name = await queue(ctx);
  return target === 'inflight' ? ctx.admin.inflight(name, options) : ctx.admin.peek(name, target, options);
}

function isPeekTarget(value: string): value is PeekTarget {
  return (PEEK_TARGETS as readonly string[]).includes(value);
}

/** Dead letters matching `type` / `since`, at most `limit`, with the DLQ's total and how many match (counted over at most `scan`, as `mq dlq list`). */
async function deadLetters(ctx: RouteContext): Promise<unknown> {
  const { query } = ctx;
  const filter = { type: query.get('type') || undefined, since: sinceParam(query), limit: intParam(query, 'limit', 50, 1, 10_000) };
  const scan = intParam(query, 'scan', 10_000, 0, 1_000_000);
  const name = await queue(ctx);
  return { queue: name, ...(await ctx.admin.deadLetters(name, filter, scan)) };
}

async function deadLetter(ctx: RouteContext): Promise<unknown> {
  const found = await ctx.admin.deadLetter(await queue(ctx), ctx.params.id);
  if (!found) throw new HttpError(404, `dead letter "${ctx.params.id}" not found`);
  return found;
}

async function cancelSchedule({ admin, body }: RouteContext): Promise<unknown> {
  const id = safeJson(body)?.id;
  if (typeof id !== 'string') throw new HttpError(400, 'body: { "id": "<schedule id>" }');
  const schedulers = await admin.cancelSchedule(id);
  if (schedulers.length === 0) throw new HttpError(404, `schedule "${id}" not found`);
  return { id, schedulers };
}

async function setPaused(ctx: RouteContext, paused: boolean): Promise<unknown> {
  const name = await queue(ctx);
  await (paused ? ctx.admin.pause(name) : ctx.admin.resume(name));
  return { queue: name, paused };
}

async function purge(ctx: RouteContext): Promise<unknown> {
  const name = await queue(ctx);
  return { queue: name, deleted: await ctx.admin.purgeMatching(name) };
}

async function replayAll(ctx: RouteContext): Promise<unknown> {
  const name = await queue(ctx);
  return { queue: name, replayed: await ctx.admin.replayMatching(name) };
}

async function replayDeadLetter(ctx: RouteContext): Promise<unknown> {
  const replayed = await ctx.admin.replay(await queue(ctx), [ctx.params.id]);
  if (replayed.length === 0) throw new HttpError(404, `dead letter "${ctx.params.id}" not found`);
  return { queue: ctx.params.name, replayed };
}

async function deleteDeadLetter(ctx: RouteContext): Promise<unknown> {
  const deleted = await ctx.admin.deleteDeadLetters(await queue(ctx), [ctx.params.id]);
  if (deleted.length === 0) throw new HttpError(404, `dead letter "${ctx.params.id}" not found`);
  return { queue: ctx.params.name, deleted };
}

function intParam(q: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const v = q.get(name);
  if (v === null) return fallback;
  // digits only: Number() would also take `1e3`, `0x10`, ` 5`
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new HttpError(400, `${name}: expected an integer in [${min}, ${max}], got "${v}"`);
  return n;
}

function sinceParam(q: URLSearchParams): number | undefined {
  const v = q.get('since');
  if (!v) return undefined;
  const since = parseSince(v);
  if (since === undefined) throw new HttpError(400, `since: expected ${SINCE_EXPECTED}, got "${v}"`);
  return since;
}

/** The body as a JSON object, or undefined. */
export function safeJson(text: string): Record<string, unknown> | undefined {
  const v = parseJsonOr<unknown>(text, undefined);
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
}
