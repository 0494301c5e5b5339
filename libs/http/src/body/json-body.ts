import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { IncomingMessage, ServerResponse } from 'http';

/** What every body-taking endpoint of the platform accepts: one JSON object of at most `limitBytes`. */
export interface JsonBodyOptions {
  /** Largest request body in bytes (413 beyond). */
  limitBytes: number;
}

type Next = (error?: unknown) => void;
type Req = IncomingMessage & { body?: unknown; originalUrl?: string };

function reply(res: ServerResponse, statusCode: number, error: string, message: string): void {
  res.statusCode = statusCode;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ statusCode, error, message }));
}

/** Whether the request carries a body (as body parsers decide it: a chunked one, or a non-zero Content-Length). */
function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

/** `application/json` or a `+json` type (parameters such as charset aside). */
export function isJsonType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** 415 for a body that is not JSON: form-encoded and text bodies are refused, not guessed at. */
function requireJson(req: Req, res: ServerResponse, next: Next): void {
  if (!hasBody(req) || isJsonType(req.headers['content-type'])) return next();
  reply(
    res,
    415,
    'Unsupported Media Type',
    `request bodies must be JSON (Content-Type: application/json), got ${req.headers['content-type'] ?? 'no Content-Type'}`,
  );
}

/** 400 for a JSON body that is not an object (`null`, an array, a string, a number). */
function requireObject(req: Req, res: ServerResponse, next: Next): void {
  if (!hasBody(req)) return next();
  const body = req.body;
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) return next();
  const found = body === null ? 'null' : Array.isArray(body) ? 'an array' : `a ${typeof body}`;
  reply(res, 400, 'Bad Request', `the request body must be a JSON object, got ${found}`);
}

interface BodyParserError {
  type?: string;
  message?: string;
  length?: number;
  limit?: number;
}

/**
 * Errors of the JSON parser, answered here instead of reaching Nest as unexpected errors: 413
 * (logged as one warning line, no stack), 400 for JSON that does not parse, 415 for a charset other
 * than UTF-8. Anything else goes on.
 */
function parserErrors(logger: Logger) {
  return (error: BodyParserError, req: Req, res: ServerResponse, next: Next): void => {
    switch (error?.type) {
      case 'entity.too.large':
        logger.warn(
          `${req.method} ${req.originalUrl ?? req.url}: request body of ${error.length ?? '?'} bytes refused, the limit is ${error.limit} bytes (413)`,
        );
        return reply(res, 413, 'Payload Too Large', `the request body is larger than ${error.limit} bytes`);
      case 'entity.parse.failed':
        return reply(res, 400, 'Bad Request', `the request body is not valid JSON: ${error.message}`);
      case 'charset.unsupported':
      case 'encoding.unsupported':
        return reply(res, 415, 'Unsupported Media Type', error.message ?? 'unsupported body encoding');
      default:
        return next(error);
    }
  };
}

/**
 * Installs the body handling of a service, in order: JSON only (415), the JSON parser with the size
 * limit (413), its errors answered (400/413/415), JSON objects only (400). Call before `init()`:
 * Nest then finds a JSON parser installed and adds none of its own (its urlencoded parser never
 * sees a body, since non-JSON bodies are refused first).
 */
export function installJsonBody(app: NestExpressApplication, options: JsonBodyOptions, logger = new Logger('HttpBody')): void {
  app.use(requireJson);
  app.useBodyParser('json', { limit: options.limitBytes, strict: false });
  app.use(parserErrors(logger));
  app.use(requireObject);
}
