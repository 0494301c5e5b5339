import { PRIORITIES, Priority, QueueMessage } from './queue.types';

/**
 * The stored form of a message: one string, a short header and the payload JSON.
 *
 *   1|<priority 0-3>|<maxRetries>|<timeoutMs>|<createdAt ms>|<type>|<payload JSON>
 *   1|<priority 0-3>|<maxRetries>|<timeoutMs>|<createdAt ms>|<type>|~<trace>|<payload JSON>
 *   1|<priority 0-3>|<maxRetries>|<timeoutMs>|<createdAt ms>|<type>|^<group>|[~<trace>|]<payload JSON>
 *   1|<priority 0-3>|<maxRetries>|<timeoutMs>|<createdAt ms>|<type>|[^<group>|][~<trace>|]@<delayMs>|<payload JSON>
 *
 * The header is readable from Lua with one pattern (the scripts need the priority and
 * maxRetries); the type cannot contain `|` (see TASK_TYPE_PATTERN). The id is not part of the
 * body: it is the field name of the message hash. The optional `~<trace>` field (W3C trace
 * context, see `encodeTraceField`) is written only when the publish ran inside a span, so a
 * message without tracing is byte-identical to before; JSON never starts with `~`. Likewise the
 * optional `^<group>` field (docs/queue.md, "Groups"; GROUP_PATTERN: never `|`), read by the Lua
 * scripts with one pattern (includes/groups.lua); JSON never starts with `^`. The optional
 * `@<delayMs>` field, last, is written only for a delayed publish (`delayMs` > 0): the worker
 * measures the wait before a start from when the message became due, not from its publish (no Lua
 * script reads it); JSON never starts with `@`.
 */
export interface MessageHeader {
  priority: number;
  maxRetries: number;
  timeoutMs: number;
  createdAt: number;
  type: string;
  /** W3C trace context of the publish (`traceparent[ tracestate]`), only when there was one. */
  trace?: string;
  /** Fair-sharing group (docs/queue.md, "Groups"), only when the message has one. */
  group?: string;
  /** The publish's `delayMs`, only when it was more than 0. */
  delayMs?: number;
}

export function encodeBody(header: MessageHeader, payloadJson: string): string {
  const trace = header.trace === undefined ? '' : `~${header.trace}|`;
  const group = header.group === undefined ? '' : `^${header.group}|`;
  const delay = header.delayMs === undefined ? '' : `@${header.delayMs}|`;
  return `${fixedHeader(header)}${group}${trace}${delay}${payloadJson}`;
}

/** The last fixed header made (a batch's messages mostly share it: made once, not once per message). */
const lastHeader = { priority: -1, maxRetries: -1, timeoutMs: -1, createdAt: -1, type: '', text: '' };

/** `1|<priority>|<maxRetries>|<timeoutMs>|<createdAt>|<type>|`, the part of the header every body has. */
function fixedHeader(h: MessageHeader): string {
  const last = lastHeader;
  if (
    h.createdAt !== last.createdAt ||
    h.priority !== last.priority ||
    h.type !== last.type ||
    h.maxRetries !== last.maxRetries ||
    h.timeoutMs !== last.timeoutMs
  ) {
    last.priority = h.priority;
    last.maxRetries = h.maxRetries;
    last.timeoutMs = h.timeoutMs;
    last.createdAt = h.createdAt;
    last.type = h.type;
    last.text = `1|${h.priority}|${h.maxRetries}|${h.timeoutMs}|${h.createdAt}|${h.type}|`;
  }
  return last.text;
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

/**
 * Reads the header only (cheap: the payload is not parsed, and the numbers are read in place:
 * one string, the type, is all it allocates besides the result). The numeric fields are digits
 * only, as the Lua scripts read them (`^1|(%d)|(%d+)|`).
 */
export function decodeHeader(body: string): { header: MessageHeader; payloadStart: number } | null {
  if (body.charCodeAt(0) !== 49 /* '1' */ || body.charCodeAt(1) !== 124 /* '|' */) return null;
  const priority = body.charCodeAt(2) - 48;
  if (!(priority >= 0 && priority <= 3) || body.charCodeAt(3) !== 124) return null;
  let at = 4;
  const maxRetries = readInteger(body, at);
  if (maxRetries < 0) return null;
  at = numberEnd + 1;
  const timeoutMs = readInteger(body, at);
  if (timeoutMs < 0) return null;
  at = numberEnd + 1;
  const createdAt = readInteger(body, at);
  if (createdAt < 0) return null;
  at = numberEnd + 1;
  const typeEnd = body.indexOf('|', at);
  if (typeEnd <= at) return null;
  const type = body.slice(at, typeEnd);
  let start = typeEnd + 1;
  let group: string | undefined;
  if (body.charCodeAt(start) === 94 /* '^' */) {
    const end = body.indexOf('|', start);
    if (end <= start + 1) return null;
    group = body.slice(start + 1, end);
    start = end + 1;
  }
  const header: MessageHeader = { priority, maxRetries, timeoutMs, createdAt, type };
  if (group !== undefined) header.group = group;
  if (body.charCodeAt(start) === 126 /* '~' */) {
    const end = body.indexOf('|', start);
    if (end < 0) return null;
    header.trace = body.slice(start + 1, end);
    start = end + 1;
  }
  if (body.charCodeAt(start) === 64 /* '@' */) {
    const delayMs = readInteger(body, start + 1);
    if (delayMs < 0) return null;
    header.delayMs = delayMs;
    start = numberEnd + 1;
  }
  return { header, payloadStart: start };
}

/** Where the last {@link readInteger} stopped (the index of its closing `|`). */
let numberEnd = 0;

/** The non-negative integer of digits at `from` up to a `|` (then numberEnd is that index); -1 when malformed. */
function readInteger(body: string, from: number): number {
  let value = 0;
  let i = from;
  for (let c = body.charCodeAt(i); c !== 124 /* '|' */; c = body.charCodeAt(++i)) {
    const digit = c - 48;
    if (!(digit >= 0 && digit <= 9)) return -1; // also NaN past the end
    value = value * 10 + digit;
  }
  if (i === from || !Number.isSafeInteger(value)) return -1;
  numberEnd = i;
  return value;
}

/** Builds the handler-facing message from a decoded body. */
export function toQueueMessage(id: string, attempt: number, header: MessageHeader, payload: unknown): QueueMessage {
  const message: QueueMessage = {
    id,
    type: header.type,
    payload,
    priority: PRIORITIES[header.priority] as Priority,
    attempt,
    maxRetries: header.maxRetries,
    timeoutMs: header.timeoutMs,
    createdAt: header.createdAt,
  };
  if (header.group !== undefined) message.group = header.group;
  return message;
}
