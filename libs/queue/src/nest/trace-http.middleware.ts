import type { IncomingMessage, ServerResponse } from 'http';
import { propagation, ROOT_CONTEXT, SpanStatusCode } from '@opentelemetry/api';
import { tracingCall } from '../tracing/safe-span';
import { startServerSpan, tracerRegistered, withConsumerSpan } from '../tracing/trace-context';

type Request = IncomingMessage & { originalUrl?: string; route?: { path?: unknown }; baseUrl?: string };

/**
 * HTTP SERVER span per request, parented on the incoming `traceparent`/`tracestate` headers
 * (through the application's registered propagator, `propagation.extract`), active while Nest
 * handles the request: a dispatch, publish or event from a controller joins the caller's trace.
 * Applied to every route by QueueModule. Without a registered tracer it only calls `next()`.
 * The name is `<METHOD> <route>` once Express matched a route (else `<METHOD>`), per the OTel HTTP
 * conventions (never the raw path: it holds ids). A propagator, tracer or context manager that
 * throws never fails the request: it is then handled without a parent, span or context.
 */
export function traceHttpRequests(req: Request, res: ServerResponse, next: () => void): void {
  if (!tracerRegistered()) return next();
  const parent = tracingCall('propagation.extract', () => propagation.extract(ROOT_CONTEXT, req.headers), ROOT_CONTEXT);
  const method = req.method ?? 'GET';
  const server = startServerSpan(method, parent, { 'http.request.method': method, 'url.path': (req.originalUrl ?? req.url ?? '').split('?')[0] });
  res.once('finish', () => {
    const route = typeof req.route?.path === 'string' ? `${req.baseUrl ?? ''}${req.route.path}` : undefined;
    if (route) {
      server.span.updateName(`${method} ${route}`);
      server.span.setAttribute('http.route', route);
    }
    server.span.setAttribute('http.response.status_code', res.statusCode);
    if (res.statusCode >= 500) server.span.setStatus({ code: SpanStatusCode.ERROR });
    server.span.end();
  });
  withConsumerSpan(server, next);
}
