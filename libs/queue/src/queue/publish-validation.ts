import { InvalidOptionError, PayloadTooLargeError } from '../errors';
import { checkBatchChars, MAX_BATCH_CHARS } from '../util/batch-size';
import { activeTraceCarrier, encodeTraceField } from '../tracing/trace-context';
import { stringifyPayload } from '../util/json';
import { uniqueId } from '../util/unique-id';
import { choosePartition, idInPartition } from './partitioned/partition-layout';
import { encodeBody, MessageHeader } from './message-codec';
import { checkTaskType, GROUP_EXPECTED, GROUP_PATTERN, MAX_TIMER_MS } from '../util/fields';
import { DEFAULT_PRIORITY_INDEX, MAX_RETRIES, priorityIndex, ResolvedQueueOptions } from './queue-options';
import type { StoredPublish } from './queue-store';
import type { PublishOptions } from './queue.types';

const PUBLISH_KEYS = new Set([
  'type',
  'payload',
  'priority',
  'delayMs',
  'maxRetries',
  'timeoutMs',
  'idempotencyKey',
  'idempotencyTtlMs',
  'group',
  'partitionKey',
]);

/** Characters one prepared message adds to its batch's publish command (what {@link MAX_BATCH_CHARS} bounds). */
export function publishChars(m: StoredPublish): number {
  return m.id.length + m.body.length + (m.idempotencyKey?.length ?? 0) + (m.group?.length ?? 0);
}

/**
 * Throws {@link PayloadTooLargeError} when a payload's JSON is over `maxPayloadBytes` in UTF-8 (the
 * bytes are counted only when the characters could be over: at most 3 bytes per UTF-16 unit).
 */
export function checkPayloadSize(json: string, maxPayloadBytes: number, type: string): void {
  if (json.length <= maxPayloadBytes / 3) return;
  const size = Buffer.byteLength(json);
  if (size > maxPayloadBytes) throw new PayloadTooLargeError(size, maxPayloadBytes, type);
}

/** Throws `BatchTooLargeError` when a prepared batch is over {@link MAX_BATCH_CHARS} (see util/batch-size.ts). */
export function checkBatchSize(queueName: string, batch: readonly StoredPublish[], limit = MAX_BATCH_CHARS): void {
  let size = 0;
  for (const m of batch) size += publishChars(m);
  checkBatchChars(`queue "${queueName}"`, batch.length, size, 'messages', limit);
}

/**
 * Checks one publish and encodes it for the store, with its id (chosen here, see `uniqueId`). Throws {@link InvalidOptionError} naming the
 * option (`publish.priority`, or `publishBatch[3].priority` in a batch: `at` is then the index 3), or the place in the payload JSON would
 * change (`publish.payload.stats.avg`: see util/json.ts `stringifyPayload`), or {@link PayloadTooLargeError}.
 * Builds no error path unless an option is given or wrong (a bulk publish of plain messages allocates little besides the body).
 */
export function preparePublish(options: PublishOptions, queue: ResolvedQueueOptions, at: 'publish' | number = 'publish', now = Date.now()): StoredPublish {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError(optionPath(at), options, 'an object with at least a type');
  for (const key in options) {
    if (Object.prototype.hasOwnProperty.call(options, key) && !PUBLISH_KEYS.has(key)) {
      throw new InvalidOptionError(optionPath(at, key), key, `a known option (${[...PUBLISH_KEYS].join(', ')})`);
    }
  }
  const type = lastType !== undefined && options.type === lastType ? lastType : checkTaskType(options.type, optionPath(at, 'type'));
  lastType = type;
  const priority = options.priority === undefined ? DEFAULT_PRIORITY_INDEX : priorityIndex(options.priority, optionPath(at, 'priority'));
  const delayMs = options.delayMs === undefined ? 0 : checkedInteger('delayMs', options.delayMs, optionPath(at, 'delayMs'));
  const maxRetries = options.maxRetries === undefined ? queue.maxRetries : checkedInteger('maxRetries', options.maxRetries, optionPath(at, 'maxRetries'));
  const timeoutMs = options.timeoutMs === undefined ? queue.defaultTimeoutMs : checkedInteger('timeoutMs', options.timeoutMs, optionPath(at, 'timeoutMs'));
  const idempotencyTtlMs =
    options.idempotencyTtlMs === undefined
      ? queue.idempotencyTtlMs
      : checkedInteger('idempotencyTtlMs', options.idempotencyTtlMs, optionPath(at, 'idempotencyTtlMs'));
  const key = options.idempotencyKey;
  if (key !== undefined && (typeof key !== 'string' || key.length === 0 || key.length > 256)) {
    throw new InvalidOptionError(optionPath(at, 'idempotencyKey'), key, 'a string of 1..256 characters');
  }
  const partitionKey = options.partitionKey;
  if (partitionKey !== undefined && (typeof partitionKey !== 'string' || partitionKey.length === 0 || partitionKey.length > 256)) {
    throw new InvalidOptionError(optionPath(at, 'partitionKey'), partitionKey, 'a string of 1..256 characters');
  }
  const group = options.group;
  if (group !== undefined && (typeof group !== 'string' || !GROUP_PATTERN.test(group))) {
    throw new InvalidOptionError(optionPath(at, 'group'), group, GROUP_EXPECTED);
  }
  const json = stringifyPayload(options.payload, () => optionPath(at, 'payload'));
  checkPayloadSize(json, queue.maxPayloadBytes, type);
  const carrier = activeTraceCarrier();
  const header: MessageHeader = carrier
    ? { priority, maxRetries, timeoutMs, createdAt: now, type, trace: encodeTraceField(carrier) }
    : { priority, maxRetries, timeoutMs, createdAt: now, type };
  if (group !== undefined) header.group = group;
  if (delayMs > 0) header.delayMs = delayMs;
  const stored: StoredPublish = {
    id: queue.partitions === 1 ? uniqueId() : placeId(options, queue.partitions),
    priority,
    delayMs,
    idempotencyKey: key,
    idempotencyTtlMs,
    body: encodeBody(header, json),
  };
  if (group !== undefined) stored.group = group;
  return stored;
}

/** The path of an option in errors: `publish.delayMs`, or `publishBatch[3].delayMs` for the fourth of a batch (built only when needed). */
function optionPath(at: 'publish' | number, field?: string): string {
  const base = at === 'publish' ? at : `publishBatch[${at}]`;
  return field === undefined ? base : `${base}.${field}`;
}

/** The task type of the last publish that passed the check (a batch is mostly of one type: its pattern is tested once). */
let lastType: string | undefined;

/**
 * The bounds of the numeric publish options. The scheduler and the dispatcher check the options
 * they pass on against the same bounds under their own names (`schedule.task.maxRetries`,
 * `dispatch.options.delayMs`), so a bad value is refused when it is given, not when it is published.
 */
export const PUBLISH_INTEGER_BOUNDS = {
  delayMs: [0, 365 * 86_400_000],
  maxRetries: [0, MAX_RETRIES],
  timeoutMs: [0, MAX_TIMER_MS],
  idempotencyTtlMs: [1, 365 * 86_400_000],
} as const;

/** `value` checked against {@link PUBLISH_INTEGER_BOUNDS} (undefined stays undefined); throws {@link InvalidOptionError} naming `path`. */
export function publishInteger(key: keyof typeof PUBLISH_INTEGER_BOUNDS, value: unknown, path: string): number | undefined {
  return value === undefined ? undefined : checkedInteger(key, value, path);
}

/** {@link publishInteger} of a given value. */
function checkedInteger(key: keyof typeof PUBLISH_INTEGER_BOUNDS, value: unknown, path: string): number {
  const [min, max] = PUBLISH_INTEGER_BOUNDS[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(path, value, `an integer in [${min}, ${max}]`);
  }
  return value;
}

/** A new id naming its partition: chosen by `partitionKey`, else the message's `group` (when it has one), else its idempotency key, else round robin. */
function placeId(options: PublishOptions, partitions: number): string {
  const key = options.partitionKey ?? options.group ?? options.idempotencyKey;
  return idInPartition(uniqueId(), choosePartition(key, partitions), partitions);
}
