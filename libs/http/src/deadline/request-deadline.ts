import { CallHandler, ExecutionContext, HttpException, HttpStatus, Logger, NestInterceptor } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { IncomingMessage, ServerResponse } from 'http';
import { Observable, throwError } from 'rxjs';
import { envInteger } from '../env-integer';

/** Default bound of a request, from its body read to its answer: 10 s. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** Paths that bound their own Redis reads, well below any request bound (liveness, readiness, scrapes): never answered 503 here. */
export const SELF_BOUNDED_PATHS = [/^\/health\/?$/, /^\/health\/ready\/?$/, /^\/metrics\/?$/];

/**
 * The request bound from HTTP_REQUEST_TIMEOUT_MS (milliseconds), over `given`, over the default
 * (10 s): the same precedence as the rate limit's variables.
 * @throws Error naming the variable when it is not a positive integer
 */
export function requestTimeoutFromEnv(env: NodeJS.ProcessEnv = process.env, given?: number): number {
  return envInteger(env, 'HTTP_REQUEST_TIMEOUT_MS', given ?? DEFAULT_REQUEST_TIMEOUT_MS);
}

/** What a request past the bound is told: why, and that it may still take effect (a blind retry of a write may apply it twice). */
export function requestTimeoutMessage(timeoutMs: number): string {
  return (
    `the request did not complete within ${timeoutMs} ms (Redis is not answering); ` +
    'its effect may still be applied later, so check before retrying a request that changes something'
  );
}

/** Retry-After of a 503 past the bound: the bound in seconds, rounded up (at least 1). */
export function retryAfterSeconds(timeoutMs: number): number {
  return Math.max(1, Math.ceil(timeoutMs / 1000));
}

type Next = (error?: unknown) => void;
type Req = IncomingMessage & { originalUrl?: string };

/** What became of a request answered 503: whether its handler was then skipped. */
interface Expired {
  skipped: boolean;
}

/** Responses answered 503 at the bound (their later writes are dropped). */
const expired = new WeakMap<ServerResponse, Expired>();

const pathOf = (req: Req): string => (req.originalUrl ?? req.url ?? '').split('?')[0];

/** The 503 in the platform's error shape, with Retry-After. */
function answerUnavailable(res: ServerResponse, timeoutMs: number): void {
  const statusCode = HttpStatus.SERVICE_UNAVAILABLE;
  res.statusCode = statusCode;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Retry-After', String(retryAfterSeconds(timeoutMs)));
  res.end(JSON.stringify({ statusCode, error: 'Service Unavailable', message: requestTimeoutMessage(timeoutMs) }));
}

/**
 * Makes every later write to an answered response a no-op, so the handler finishing late (Nest's
 * `reply`: `status()`, then `json()` through `setHeader` and `end`; an exception filter's `end()`)
 * neither throws ERR_HTTP_HEADERS_SENT nor reaches the socket. `statusCode` stays 503 (what the
 * metrics and traces read). The first late `end()` calls `onLateEnd`.
 */
function muteLaterWrites(res: ServerResponse, onLateEnd: () => void): void {
  const statusCode = res.statusCode;
  let ended = false;
  const noop = (value: unknown): PropertyDescriptor => ({ configurable: true, writable: true, value });
  Object.defineProperties(res, {
    statusCode: { configurable: true, get: () => statusCode, set: () => undefined },
    setHeader: noop(() => res),
    appendHeader: noop(() => res),
    removeHeader: noop(() => undefined),
    writeHead: noop(() => res),
    flushHeaders: noop(() => undefined),
    addTrailers: noop(() => undefined),
    write: noop(() => true),
    end: noop(() => {
      if (!ended) onLateEnd();
      ended = true;
      return res;
    }),
  });
}

/** At the bound: 503 unless an answer has started, then later writes muted (and reported in the log). */
function expire(req: Req, res: ServerResponse, timeoutMs: number, startedAt: number, logger: Logger): void {
  if (res.headersSent || res.writableEnded) return;
  const what = `${req.method} ${pathOf(req)}`;
  logger.warn(`${what}: no answer within ${timeoutMs} ms, answered 503`);
  answerUnavailable(res, timeoutMs);
  const state: Expired = { skipped: false };
  expired.set(res, state);
  muteLaterWrites(res, () => {
    if (state.skipped) return logger.log(`${what}: not handled, it was answered 503 before reaching its handler`);
    logger.warn(`${what}: finished ${Date.now() - startedAt} ms after it started, after its 503: its answer is dropped, what it changed stays changed`);
  });
}

/**
 * Express middleware bounding every request but SELF_BOUNDED_PATHS: past `timeoutMs` (counted from
 * here, once the body is read) it answers 503 `{ statusCode, error, message }` with Retry-After,
 * logs one warning, and mutes what the request's handler writes later.
 */
export function boundRequests(timeoutMs: number, logger: Logger) {
  return (req: Req, res: ServerResponse, next: Next): void => {
    if (SELF_BOUNDED_PATHS.some((pattern) => pattern.test(pathOf(req)))) return next();
    const startedAt = Date.now();
    const timer = setTimeout(() => expire(req, res, timeoutMs, startedAt, logger), timeoutMs);
    timer.unref();
    const stop = () => clearTimeout(timer);
    res.once('finish', stop);
    res.once('close', stop);
    next();
  };
}

/**
 * A global interceptor (it runs after every guard, before the handler) that does not start the
 * handler of a request already answered 503, e.g. one whose rate-limit check waited on Redis past
 * the bound: its effect is then never applied. It throws a 503 the muted response drops (no log).
 */
export class SkipExpiredRequests implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const state = context.getType() === 'http' ? expired.get(context.switchToHttp().getResponse<ServerResponse>()) : undefined;
    if (!state) return next.handle();
    state.skipped = true;
    return throwError(() => new HttpException('answered 503 already', HttpStatus.SERVICE_UNAVAILABLE));
  }
}

/**
 * Bounds the requests of `app` (call before `init()`, after the body handling): boundRequests as
 * Express middleware, which covers the guards (the Redis-backed rate limit), pipes, interceptors
 * and handlers, and SkipExpiredRequests.
 */
export function installRequestDeadline(app: NestExpressApplication, timeoutMs: number, logger = new Logger('HttpTimeout')): void {
  app.use(boundRequests(timeoutMs, logger));
  app.useGlobalInterceptors(new SkipExpiredRequests());
}
