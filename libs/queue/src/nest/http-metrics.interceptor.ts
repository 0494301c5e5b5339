import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Histogram } from 'prom-client';
import { Observable } from 'rxjs';
import { QueueManager } from '../manager/queue-manager';

/** Metric name of the HTTP request histogram (no `metrics.prefix`: the common name dashboards expect). */
export const HTTP_REQUEST_DURATION = 'http_request_duration_seconds';

interface HttpRequestLike {
  method?: string;
  route?: { path?: unknown };
}
interface HttpResponseLike {
  statusCode: number;
  once(event: 'finish' | 'close', listener: () => void): unknown;
}

/**
 * `http_request_duration_seconds{method, route, status}` in the manager's registry for every HTTP
 * request a controller handles (including answers from exception filters). `route` is the route
 * pattern (`/models/:name`), never the raw URL, so the label stays bounded. Requests that match no
 * route never reach an interceptor and are not counted. No-op with `metrics.enabled: false`.
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
          help: 'HTTP requests handled by this service: time from routing to the response, by method, route pattern and status code',
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
