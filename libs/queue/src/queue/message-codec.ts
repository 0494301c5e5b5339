import { PRIORITIES, Priority, QueueMessage } from './queue.types';

/**
 * The stored form of a message: one string, a short header and the payload JSON.
 *
 *   1|<priority 0-3>|<maxRetries>|<timeoutMs>|<createdAt ms>|<type>|<payload JSON>
 *   1|<priority 0-3>|<maxRetries>|<timeoutMs>|<createdAt ms>|<type>|~<trace>|<payload JSON>
 *
 * The header is readable from Lua with one pattern (the scripts need the priority and
 * maxRetries); the type cannot contain `|` (see TASK_TYPE_PATTERN). The id is not part of the
 * body: it is the field name of the message hash. The optional `~<trace>` field (W3C trace
 * context, see `encodeTraceField`) is written only when the publish ran inside a span, so a
 * message without tracing is byte-identical to before; JSON never starts with `~`.
 */
export interface MessageHeader {
  priority: number;
  maxRetries: number;
  timeoutMs: number;
  createdAt: number;
  type: string;
  /** W3C trace context of the publish (`traceparent[ tracestate]`), only when there was one. */
  trace?: string;
}

export function encodeBody(header: MessageHeader, payloadJson: string): string {
  const trace = header.trace === undefined ? '' : `~${header.trace}|`;
  return `1|${header.priority}|${header.maxRetries}|${header.timeoutMs}|${header.createdAt}|${header.type}|${trace}${payloadJson}`;
}

export type DecodedBody = { ok: true; header: MessageHeader; payload: unknown } | { ok: false; reason: string };

/** Parses a stored body; never throws (garbage gives `ok: false` with the reason). */
export function decodeBody(body: string | null | undefined): DecodedBody {
  if (body === null || body === undefined) return { ok: false, reason: 'no message body is stored for this id' };
  const header = decodeHeader(body);
  if (!header) return { ok: false, reason: 'entry is not a valid message (bad header)' };
  try {
    return { ok: true, header: header.header, payload: JSON.parse(body.slice(header.payloadStart)) };
  } catch {
    return { ok: false, reason: 'entry is not a valid message (payload is not JSON)' };
  }
}

/** Reads the header only (cheap: the payload is not parsed). */
export function decodeHeader(body: string): { header: MessageHeader; payloadStart: number } | null {
  if (body.charCodeAt(0) !== 49 /* '1' */ || body.charCodeAt(1) !== 124 /* '|' */) return null;
  const fields: string[] = [];
  let start = 2;
  for (let i = 0; i < 5; i++) {
    const end = body.indexOf('|', start);
    if (end < 0) return null;
    fields.push(body.slice(start, end));
    start = end + 1;
  }
  const [p, mr, to, at, type] = fields;
  const priority = Number(p);
  const maxRetries = Number(mr);
  const timeoutMs = Number(to);
  const createdAt = Number(at);
  if (!(priority >= 0 && priority <= 3 && Number.isInteger(priority))) return null;
  if (!Number.isInteger(maxRetries) || maxRetries < 0 || !Number.isInteger(timeoutMs) || timeoutMs < 0) return null;
  if (!Number.isFinite(createdAt) || type.length === 0) return null;
  if (body.charCodeAt(start) === 126 /* '~' */) {
    const end = body.indexOf('|', start);
    if (end < 0) return null;
    return { header: { priority, maxRetries, timeoutMs, createdAt, type, trace: body.slice(start + 1, end) }, payloadStart: end + 1 };
  }
  return { header: { priority, maxRetries, timeoutMs, createdAt, type }, payloadStart: start };
}

/** Builds the handler-facing message from a decoded body. */
export function toQueueMessage(id: string, attempt: number, header: MessageHeader, payload: unknown): QueueMessage {
  return {
    id,
    type: header.type,
    payload,
    priority: PRIORITIES[header.priority] as Priority,
    attempt,
    maxRetries: header.maxRetries,
    timeoutMs: header.timeoutMs,
    createdAt: header.createdAt,
  };
}
