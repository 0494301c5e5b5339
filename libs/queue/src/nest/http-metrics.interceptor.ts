import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Histogram } from 'prom-client';
import { Observable } from 'rxjs';
import { QueueManager } from '../manager/queue-manager';

/** Metric name of the HTTP request histogram (no `metrics.prefix`: the common name dashboards expect). */
export const HTTP_REQUEST_DURATION = 'http_request_duration_seconds';

/**
 * Set on a response by the Express middleware of `@meeting/http` (`configureHttpApp`), which records
 * every answered request from its arrival, answers given before the interceptors included: the
 * interceptor leaves such a request to it, so none is counted twice.
 */
const MEASURED_BY_MIDDLEWARE = Symbol.for('@meeting/http.request-measured');

interface HttpRequestLike {
  method?: string;
  route?: { path?: unknown };
}
interface HttpResponseLike {
  statusCode: number;
  [MEASURED_BY_MIDDLEWARE]?: true;
  once(event: 'finish' | 'close', listener: () => void): unknown;
}

/**
 * `http_request_duration_seconds{method, route, status}` in the manager's registry for every HTTP
 * request a controller handles (including answers from exception filters). `route` is the route
 * pattern (`/models/:name`), never the raw URL, so the label stays bounded. Requests that match no
 * route never reach an interceptor and are not counted. No-op with `metrics.enabled: false`, and for
 * the requests `@meeting/http`'s `configureHttpApp` measures itself (all of them, answers given before
 * the interceptors included).
 */
@Injectable()
export class HttpMetricsInterceptor implements NestInterceptor {
  private readonly histogram: Histogram<'method' | 'route' | 'status'> | null;

  constructor(manager: QueueManager) {
    const registry = manager.metrics?.registry;
    this.histogram = !registry
      ? null
      : ((registry.getSingleMetric(HTTP_REQUEST_DURATION) as Histogram<'method' | 'route' | 'status'> | undefined) ??
        new Histogram({
          name: HTTP_REQUEST_DURATION,
          help: 'HTTP requests answered by this service: time to the response, by method, route pattern and status code',
          labelNames: ['method', 'route', 'status'],
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
          registers: [registry],
        }));
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const histogram = this.histogram;
    if (!histogram || context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const req = http.getRequest<HttpRequestLike>();
    const res = http.getResponse<HttpResponseLike>();
    if (res[MEASURED_BY_MIDDLEWARE]) return next.handle();
    const end = histogram.startTimer();
    let done = false;
    const observe = () => {
      if (done) return;
      done = true;
      const route = typeof req.route?.path === 'string' ? req.route.path : 'unknown';
      end({ method: req.method ?? 'unknown', route, status: String(res.statusCode) });
    };
    res.once('finish', observe);
    res.once('close', observe);
    return next.handle();
  }
}
