import { InvalidOptionError, PayloadTooLargeError } from '../errors';
import { activeTraceCarrier, encodeTraceField } from '../tracing/trace-context';
import { uniqueId } from '../util/unique-id';
import { choosePartition, idInPartition } from './partitioned/partition-layout';
import { encodeBody, MessageHeader } from './message-codec';
import { checkTaskType, GROUP_EXPECTED, GROUP_PATTERN, MAX_TIMER_MS } from '../util/fields';
import { MAX_RETRIES, priorityIndex, ResolvedQueueOptions } from './queue-options';
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

/**
 * Checks one publish and encodes it for the store, with its id (chosen here, see `uniqueId`). Throws {@link InvalidOptionError} naming the
 * option (`publish.priority`, or `publishBatch[3].priority` in a batch) or {@link PayloadTooLargeError}.
 */
export function preparePublish(options: PublishOptions, queue: ResolvedQueueOptions, path = 'publish', now = Date.now()): StoredPublish {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError(path, options, 'an object with at least a type');
  for (const key of Object.keys(options)) {
    if (!PUBLISH_KEYS.has(key)) throw new InvalidOptionError(`${path}.${key}`, key, `a known option (${[...PUBLISH_KEYS].join(', ')})`);
  }
  const type = checkTaskType(options.type, `${path}.type`);
  const priority = priorityIndex(options.priority, `${path}.priority`);
  const delayMs = publishInteger('delayMs', options.delayMs, `${path}.delayMs`) ?? 0;
  const maxRetries = publishInteger('maxRetries', options.maxRetries, `${path}.maxRetries`) ?? queue.maxRetries;
  const timeoutMs = publishInteger('timeoutMs', options.timeoutMs, `${path}.timeoutMs`) ?? queue.defaultTimeoutMs;
  const idempotencyTtlMs = publishInteger('idempotencyTtlMs', options.idempotencyTtlMs, `${path}.idempotencyTtlMs`) ?? queue.idempotencyTtlMs;
  const key = options.idempotencyKey;
  if (key !== undefined && (typeof key !== 'string' || key.length === 0 || key.length > 256)) {
    throw new InvalidOptionError(`${path}.idempotencyKey`, key, 'a string of 1..256 characters');
  }
  const partitionKey = options.partitionKey;
  if (partitionKey !== undefined && (typeof partitionKey !== 'string' || partitionKey.length === 0 || partitionKey.length > 256)) {
    throw new InvalidOptionError(`${path}.partitionKey`, partitionKey, 'a string of 1..256 characters');
  }
  const group = options.group;
  if (group !== undefined && (typeof group !== 'string' || !GROUP_PATTERN.test(group))) {
    throw new InvalidOptionError(`${path}.group`, group, GROUP_EXPECTED);
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(options.payload === undefined ? null : options.payload);
  } catch (error) {
    throw new InvalidOptionError(`${path}.payload`, options.payload, `a JSON-serialisable value (${(error as Error).message})`);
  }
  if (json === undefined) throw new InvalidOptionError(`${path}.payload`, options.payload, 'a JSON-serialisable value');
  if (json.length > queue.maxPayloadBytes / 3) {
    const size = Buffer.byteLength(json);
    if (size > queue.maxPayloadBytes) throw new PayloadTooLargeError(size, queue.maxPayloadBytes, type);
  }
  const carrier = activeTraceCarrier();
  const header: MessageHeader = carrier
    ? { priority, maxRetries, timeoutMs, createdAt: now, type, trace: encodeTraceField(carrier) }
    : { priority, maxRetries, timeoutMs, createdAt: now, type };
  if (group !== undefined) header.group = group;
  return {
    ...(group !== undefined ? { group } : {}),
    id: queue.partitions === 1 ? uniqueId() : placeId(options, queue.partitions),
    priority,
    delayMs,
    idempotencyKey: key,
    idempotencyTtlMs,
    body: encodeBody(header, json),
  };
}

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
  if (value === undefined) return undefined;
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
