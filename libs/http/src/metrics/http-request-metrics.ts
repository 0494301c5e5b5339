import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { IncomingMessage, ServerResponse } from 'http';
import { Histogram, Registry } from 'prom-client';
import { QueueManager } from '@meeting/queue';

/** The histogram QueueModule (`http` on) registers in the manager's registry; this middleware records into it. */
export const HTTP_REQUEST_DURATION_METRIC = 'http_request_duration_seconds';

/** The `route` label of an answer given before Express matched a route (a refused body, a 404, a mount outside Nest's routes). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Set on a response whose request the middleware measures: QueueModule's HttpMetricsInterceptor
 * (`@meeting/queue/nest`) reads the same global symbol and leaves such a request to the middleware.
 */
export const MEASURED_BY_MIDDLEWARE = Symbol.for('@meeting/http.request-measured');

type Next = (error?: unknown) => void;
type Req = IncomingMessage & { route?: { path?: unknown }; baseUrl?: string };
type MarkedResponse = ServerResponse & { [MEASURED_BY_MIDDLEWARE]?: true };

/** The route pattern Express matched (`/models/:name`, never the URL), else {@link UNMATCHED_ROUTE}. */
export function routeLabel(req: Req): string {
  const path = req.route?.path;
  return typeof path === 'string' ? `${req.baseUrl ?? ''}${path}` : UNMATCHED_ROUTE;
}

/**
 * Express middleware recording `http_request_duration_seconds{method, route, status}` once per
 * answered request, from its arrival to the end of its answer (the response's `finish`): the
 * answers given before Nest's interceptors run (the body parser's 400/413/415, the rate-limit
 * guard's 429, the deadline's 503) count too. A request whose client left before its answer has no
 * `finish` and is not counted. `histogram()` is asked at each answer (undefined: nothing recorded).
 */
export function measureHttpRequests(histogram: () => Histogram | undefined) {
  return (req: Req, res: MarkedResponse, next: Next): void => {
    const startedAt = process.hrtime.bigint();
    res[MEASURED_BY_MIDDLEWARE] = true;
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
      histogram()?.observe({ method: req.method ?? 'unknown', route: routeLabel(req), status: String(res.statusCode) }, seconds);
    });
    next();
  };
}

/** The manager's registry when the application has QueueModule with metrics on, else undefined. */
function managerRegistry(app: INestApplication): Registry | undefined {
  try {
    return app.get(QueueManager, { strict: false }).metrics?.registry;
  } catch {
    return undefined; // no QueueModule in this application
  }
}

/** The histogram of that name in `registry`, once QueueModule has registered it. */
function registeredHistogram(registry: Registry | undefined): Histogram | undefined {
  const metric = registry?.getSingleMetric(HTTP_REQUEST_DURATION_METRIC);
  return metric instanceof Histogram ? metric : undefined;
}

/**
 * Installs {@link measureHttpRequests} as the first middleware of `app` (call before any other
 * `app.use`, before `init()`), recording into the histogram QueueModule registers in the manager's
 * registry (`http` and metrics on); without it nothing is recorded.
 */
export function installHttpMetrics(app: NestExpressApplication): void {
  const registry = managerRegistry(app);
  app.use(measureHttpRequests(() => registeredHistogram(registry)));
}
