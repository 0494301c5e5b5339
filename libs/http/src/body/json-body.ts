import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { STATUS_CODES } from 'http';
import type { IncomingMessage, ServerResponse } from 'http';
import { isJsonType, jsonContentTypeProblem } from './json-content-type';

/** Deepest nesting of objects and arrays a request body may have (the top-level object is level 1). */
export const DEFAULT_BODY_MAX_DEPTH = 64;

/** What every body-taking endpoint of the platform accepts: one JSON object of at most `limitBytes`, nested at most `maxDepth` levels. */
export interface JsonBodyOptions {
  /** Largest request body in bytes (413 beyond). */
  limitBytes: number;
  /** Deepest nesting of objects and arrays (default 64; 400 beyond). */
  maxDepth?: number;
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

/** 415 for a body that is not JSON in UTF-8: form-encoded, text and UTF-16 bodies are refused, not guessed at. */
function requireJson(req: Req, res: ServerResponse, next: Next): void {
  const problem = hasBody(req) ? jsonContentTypeProblem(req.headers['content-type']) : undefined;
  if (problem === undefined) return next();
  reply(res, 415, 'Unsupported Media Type', problem);
}

/** Whether the JSON parser reads this request's body: exactly the types the 415 check lets through. */
function parsesAsJson(req: IncomingMessage): boolean {
  return isJsonType(req.headers['content-type']);
}

/** What a parsed body is, for the 400 that refuses anything but an object: `null`, `an array`, `a string`, `a number`. */
export function jsonValueKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value === undefined) return 'no value (the body was not read as JSON)';
  const type = typeof value;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** 400 for a JSON body that is not an object (`null`, an array, a string, a number). */
function requireObject(req: Req, res: ServerResponse, next: Next): void {
  if (!hasBody(req)) return next();
  const body = req.body;
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) return next();
  reply(res, 400, 'Bad Request', `the request body must be a JSON object, got ${jsonValueKind(body)}`);
}

/**
 * How deep `value` nests objects and arrays (a scalar 0, `{}` 1, `{"a":[]}` 2), counted without
 * recursion (a deep body cannot overflow the stack here) and only until it passes `limit`: the
 * answer is then `limit + 1`.
 */
export function nestingDepth(value: unknown, limit = Infinity): number {
  if (!isContainer(value)) return 0;
  let deepest = 0;
  const pending: Array<[object, number]> = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [node, depth] = next;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) break;
    for (const child of Object.values(node)) if (isContainer(child)) pending.push([child, depth + 1]);
  }
  return deepest;
}

/** Whether `value` is an object or an array (what nests), not `null` or a scalar. */
export const isContainer = (value: unknown): value is object => typeof value === 'object' && value !== null;

/** 400 for a body nested deeper than `maxDepth`, before anything walks it recursively (class-transformer in the ValidationPipe overflows the stack on a few thousand levels). */
function limitDepth(maxDepth: number) {
  return (req: Req, res: ServerResponse, next: Next): void => {
    if (!hasBody(req) || nestingDepth(req.body, maxDepth) <= maxDepth) return next();
    reply(res, 400, 'Bad Request', `the request body is nested too deeply: more than ${maxDepth} levels of objects and arrays`);
  };
}

interface BodyParserError {
  type?: string;
  message?: string;
  length?: number;
  limit?: number;
  status?: number;
}

/** The Content-Encoding of the request, `identity` when it has none. */
function contentEncoding(req: Req): string {
  const encoding = req.headers['content-encoding'];
  return typeof encoding === 'string' && encoding !== '' ? encoding.toLowerCase() : 'identity';
}

/**
 * The parser's other errors: one from the decompression stream (an untyped error on a compressed
 * body) 400 naming the Content-Encoding, with zlib's reason when it has one (`incorrect header
 * check`, `unexpected end of file`); another client error (an aborted request, a Content-Length that
 * does not match) its own status. Neither is logged: a client can send them at will. Anything else
 * goes on.
 */
function otherParserError(error: BodyParserError, req: Req, res: ServerResponse, next: Next): void {
  if (!isContainer(error)) return next(error);
  const status = error.status ?? 500;
  const statusText = STATUS_CODES[status] ?? 'Bad Request';
  // http-errors keeps zlib's message, or only the status text when it did not see an Error (another realm, as under Jest)
  const reason = error.message && error.message !== statusText ? error.message : undefined;
  const encoding = contentEncoding(req);
  if (error.type === undefined && encoding !== 'identity') {
    const message = `the request body could not be decompressed (Content-Encoding: ${encoding})`;
    return reply(res, 400, 'Bad Request', reason ? `${message}: ${reason}` : message);
  }
  if (status >= 400 && status < 500) return reply(res, status, statusText, reason ?? statusText);
  next(error);
}

/**
 * Errors of the JSON parser, answered here instead of reaching Nest as unexpected errors: 413
 * (logged as one warning line, no stack), 400 for JSON that does not parse and for a body that does
 * not decompress, 415 for a charset other than UTF-8 or an unknown encoding, other client errors
 * with their status. Anything else goes on.
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
        return otherParserError(error, req, res, next);
    }
  };
}

/**
 * Installs the body handling of a service, in order: JSON in UTF-8 only (`application/json` and
 * `application/*+json`; 415 otherwise), the JSON parser for those same types with the size limit (413), its errors answered (400/413/415), JSON objects only (400), nested at most
 * `maxDepth` levels (400). Call before `init()`:
 * Nest then finds a JSON parser installed and adds none of its own (its urlencoded parser never
 * sees a body, since non-JSON bodies are refused first).
 */
export function installJsonBody(app: NestExpressApplication, options: JsonBodyOptions, logger = new Logger('HttpBody')): void {
  app.use(requireJson);
  app.useBodyParser('json', { limit: options.limitBytes, strict: false, type: parsesAsJson });
  app.use(parserErrors(logger));
  app.use(requireObject);
  app.use(limitDepth(options.maxDepth ?? DEFAULT_BODY_MAX_DEPTH));
}
