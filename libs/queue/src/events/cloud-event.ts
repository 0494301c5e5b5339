import { randomUUID } from 'crypto';
import { InvalidOptionError } from '../errors';
import { activeTraceCarrier } from '../tracing/trace-context';
import { checkJsonValue } from '../util/json';
import type { EventEnvelope } from './event-bus';

/** Channel names: `[A-Za-z0-9_.:/-]`, 1..200 characters (no glob characters, no `{}` hash tags). */
export const CHANNEL_NAME_PATTERN = /^[A-Za-z0-9_.:/-]{1,200}$/;
/** Event types: `[A-Za-z0-9_.:/-]`, 1..200 characters. */
export const EVENT_TYPE_PATTERN = /^[A-Za-z0-9_.:/-]{1,200}$/;
const SUBSCRIPTION_PATTERN = /^[A-Za-z0-9_.:/*?[\]^-]{1,200}$/;
const GLOB_CHARS = /[*?[]/;

/** The fields of the CloudEvents envelope, in the order they are written to a stream entry. */
export const ENVELOPE_FIELDS = ['specversion', 'id', 'source', 'type', 'time', 'datacontenttype', 'data'] as const;

/** Checks a channel name; throws {@link InvalidOptionError} naming `path`. */
export function assertChannel(channel: unknown, path = 'publish.channel'): string {
  if (typeof channel !== 'string' || !CHANNEL_NAME_PATTERN.test(channel)) {
    throw new InvalidOptionError(path, channel, 'a channel name of 1..200 characters from [A-Za-z0-9_.:/-]');
  }
  return channel;
}

/** Whether a subscription key is a glob pattern (`*`, `?` or `[...]`). */
export function isGlobPattern(key: string): boolean {
  return GLOB_CHARS.test(key);
}

/** Checks a channel or pattern given to `subscribe`; returns whether it is a pattern. */
export function assertSubscriptionKey(key: unknown, path = 'subscribe.channel'): boolean {
  if (typeof key !== 'string' || !SUBSCRIPTION_PATTERN.test(key)) {
    throw new InvalidOptionError(path, key, 'a channel name, or a glob pattern with * ? [..], of 1..200 characters');
  }
  return isGlobPattern(key);
}

/**
 * Redis-style glob (`*` any run, `?` one character, `[abc]`, `[^a]`, `[a-c]`) as a RegExp, so every
 * bus matches patterns like Redis PSUBSCRIBE does. `*` also matches dots.
 */
export function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('^');
      if (negate) body = body.slice(1);
      out += `[${negate ? '^' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = end;
    } else out += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/**
 * A new envelope with a fresh UUID and the current time. `data` undefined becomes null; data that
 * JSON would change or cannot write (NaN, a Map, a BigInt, a cycle: see util/json.ts) is refused
 * with {@link InvalidOptionError} naming the place (`publish.data.stats.avg`). Inside an
 * active span it carries the span's W3C context as the CloudEvents distributed-tracing extension
 * (`traceparent`, `tracestate`); without one those attributes are absent.
 */
export function createEnvelope<T>(source: string, type: unknown, data: T, path = 'publish'): EventEnvelope<T> {
  if (typeof type !== 'string' || !EVENT_TYPE_PATTERN.test(type)) {
    throw new InvalidOptionError(`${path}.type`, type, 'an event type of 1..200 characters from [A-Za-z0-9_.:/-]');
  }
  // checked once, here, under the caller's name; the transport writes it (encodeData) without a second walk
  checkJsonValue(data === undefined ? null : data, () => `${path}.data`);
  const envelope: EventEnvelope<T> = {
    specversion: '1.0',
    id: randomUUID(),
    source,
    type,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: (data === undefined ? null : data) as T,
  };
  const carrier = activeTraceCarrier();
  if (carrier) {
    envelope.traceparent = carrier.traceparent;
    if (carrier.tracestate) envelope.tracestate = carrier.tracestate;
  }
  return envelope;
}

/**
 * JSON text of `data`, checked by {@link createEnvelope} (not walked again here); throws
 * {@link InvalidOptionError} when JSON.stringify fails all the same (a `toJSON` that throws).
 */
export function encodeData(data: unknown, path = 'publish.data'): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(data);
  } catch (error) {
    throw new InvalidOptionError(path, data, `a JSON-serialisable value (${(error as Error).message})`);
  }
  if (text === undefined) throw new InvalidOptionError(path, data, 'a JSON-serialisable value');
  return text;
}

/** Structured-mode CloudEvents JSON (what redis_pubsub publishes). */
export function encodeEnvelope(event: EventEnvelope): string {
  const data = encodeData(event.data);
  const { data: _data, ...attributes } = event;
  return `${JSON.stringify(attributes).slice(0, -1)},"data":${data}}`;
}

/** Parses structured-mode JSON; null when it is not a CloudEvents 1.0 envelope. */
export function decodeEnvelope(text: string): EventEnvelope | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return isEnvelope(value) ? value : null;
}

/** Stream entry fields: one field per CloudEvents attribute (`traceparent`/`tracestate` only when set), `data` as JSON text. */
export function envelopeToFields(event: EventEnvelope): string[] {
  const data = encodeData(event.data);
  const fields = [
    'specversion',
    event.specversion,
    'id',
    event.id,
    'source',
    event.source,
    'type',
    event.type,
    'time',
    event.time,
    'datacontenttype',
    event.datacontenttype,
    'data',
    data,
  ];
  if (event.traceparent) fields.push('traceparent', event.traceparent);
  if (event.tracestate) fields.push('tracestate', event.tracestate);
  return fields;
}

/** Reads stream entry fields back; null when they are not a valid envelope. Extra fields are ignored. */
export function fieldsToEnvelope(fields: readonly string[]): EventEnvelope | null {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i]] = fields[i + 1];
  if (map.data === undefined) return null;
  let data: unknown;
  try {
    data = JSON.parse(map.data);
  } catch {
    return null;
  }
  const candidate: Record<string, unknown> = {
    specversion: map.specversion,
    id: map.id,
    source: map.source,
    type: map.type,
    time: map.time,
    datacontenttype: map.datacontenttype,
    data,
  };
  if (map.traceparent) candidate.traceparent = map.traceparent;
  if (map.tracestate) candidate.tracestate = map.tracestate;
  return isEnvelope(candidate) ? candidate : null;
}

function isEnvelope(value: unknown): value is EventEnvelope {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    v.specversion === '1.0' &&
    typeof v.id === 'string' &&
    typeof v.source === 'string' &&
    typeof v.type === 'string' &&
    typeof v.time === 'string' &&
    (v.datacontenttype === undefined || v.datacontenttype === 'application/json') &&
    'data' in v
  );
}
