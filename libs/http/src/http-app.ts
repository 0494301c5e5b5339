import { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { installJsonBody } from './body/json-body';
import { installRequestDeadline, requestTimeoutFromEnv } from './deadline/request-deadline';
import { mountOpenApi } from './docs/openapi';
import { installHttpMetrics } from './metrics/http-request-metrics';
import { PlatformValidationPipe } from './validation/platform-validation-pipe';

/** Default largest request body: 1 MiB (the default `limits.max_payload_bytes` of a task). */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

export interface HttpAppOptions {
  /** The service name: title of its OpenAPI document. */
  name: string;
  /** What the service does (the document's description). */
  description: string;
  /** Version of the API (default 1.0.0). */
  version?: string;
  /** Largest request body in bytes (default 1 MiB); larger ones are answered 413. */
  bodyLimitBytes?: number;
  /** Deepest nesting of objects and arrays in a request body (default 64); deeper ones are answered 400. */
  bodyMaxDepth?: number;
  /**
   * Longest a request may take once its body is read (default 10 s; HTTP_REQUEST_TIMEOUT_MS over
   * this): past it, 503 with Retry-After. `/health`, `/health/ready` and `/metrics` have their own bounds.
   */
  requestTimeoutMs?: number;
}

/**
 * The HTTP conventions every service follows, applied to its Nest application before `init()` /
 * `listen()`: every answered request measured once in `http_request_duration_seconds{method, route,
 * status}` (QueueModule's histogram; from its arrival, so the refusals below count too, `route`
 * `unmatched` for those given before routing), JSON request bodies only (415 otherwise), a body
 * limit answered 413 (and logged as a warning), a JSON object as body (400 for `null` or arrays)
 * nested at most `bodyMaxDepth` levels (400 beyond, before validation walks it), a bound on every request (503 `the request did not
 * complete within N ms` with Retry-After past `requestTimeoutMs`, the rate-limit guard included: a
 * Redis outage makes commands wait for the reconnect), a global ValidationPipe (whitelist,
 * unknown keys refused, `__proto__` and `constructor` keys included, transform) over the controllers' DTOs, and the OpenAPI description at
 * `/docs` (JSON at `/docs-json`). Rate limits come from PlatformHttpModule in the app's module.
 * @throws Error when the application does not run on Express (@nestjs/platform-express), or naming
 * HTTP_REQUEST_TIMEOUT_MS when it is not a positive integer
 */
export function configureHttpApp(app: INestApplication, options: HttpAppOptions): void {
  const type = app.getHttpAdapter().getType();
  if (type !== 'express') throw new Error(`${options.name}: the HTTP conventions need the Express adapter, the application runs on ${type}`);
  installHttpMetrics(app as NestExpressApplication);
  installJsonBody(app as NestExpressApplication, { limitBytes: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES, maxDepth: options.bodyMaxDepth });
  installRequestDeadline(app as NestExpressApplication, requestTimeoutFromEnv(process.env, options.requestTimeoutMs));
  app.useGlobalPipes(new PlatformValidationPipe());
  mountOpenApi(app, { title: options.name, description: options.description, version: options.version ?? '1.0.0' });
}
