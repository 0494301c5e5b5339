/**
 * Typed errors of the queue library. Every error names what was wrong (which option, which
 * message id, which limit) so a caller can react to it without parsing the text.
 */

/** Base class of every error this library throws. `code` is stable and machine-readable. */
export class QueueError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A configuration key or option has a value the library cannot use. */
export class QueueConfigError extends QueueError {
  /**
   * @param path   the key path or option name, for example `message_queue.workers` or `publish.priority`
   * @param found  the value that was given
   * @param expected what would have been accepted
   */
  constructor(
    readonly path: string,
    readonly found: unknown,
    readonly expected: string,
  ) {
    super(`${path}: expected ${expected}, got ${describeValue(found)}`, 'QUEUE_CONFIG');
  }
}

/** An option passed to a call (publish, process, ...) is invalid. Same shape as {@link QueueConfigError}. */
export class InvalidOptionError extends QueueConfigError {
  override readonly code = 'INVALID_OPTION';
}

/** A payload is larger than the queue's `maxPayloadBytes` limit. Nothing was enqueued. */
export class PayloadTooLargeError extends QueueError {
  constructor(
    readonly sizeBytes: number,
    readonly limitBytes: number,
    readonly taskType: string,
  ) {
    super(`payload of task type "${taskType}" is ${sizeBytes} bytes, over the limit of ${limitBytes} bytes (maxPayloadBytes)`, 'PAYLOAD_TOO_LARGE');
  }
}

/**
 * A `publishBatch` (of a queue, or of a Redis Streams event bus) whose messages, encoded, are more
 * than one batch may carry: it is one Redis command, which the client builds as one string.
 * Nothing was sent: split it into smaller batches.
 */
export class BatchTooLargeError extends QueueError {
  constructor(
    /** What the batch was for, e.g. `queue "jobs"` or `channel "meeting.ended"`. */
    readonly target: string,
    /** Messages (or events) in the batch. */
    readonly count: number,
    /** The encoded messages, in characters. */
    readonly size: number,
    readonly limit: number,
    /** What `count` counts, in the message: `messages` (a queue) or `events` (a bus). */
    unit = 'messages',
  ) {
    super(
      `publishBatch on ${target}: ${count} ${unit} are ${size} characters encoded, over the limit of ${limit} for one batch (one Redis command); split it into smaller batches`,
      'BATCH_TOO_LARGE',
    );
  }
}

/** The queue was closed; no new work is accepted. */
export class QueueClosedError extends QueueError {
  constructor(readonly queue: string) {
    super(`queue "${queue}" is closed`, 'QUEUE_CLOSED');
  }
}

/**
 * Throw this (or any error whose `retryable` property is `false`) from a handler to send the
 * message straight to the dead-letter queue without further attempts.
 */
export class NonRetryableError extends QueueError {
  readonly retryable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'NON_RETRYABLE');
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** A handler ran past its message's `timeoutMs`; its AbortSignal was fired with this error. */
export class TaskTimeoutError extends QueueError {
  constructor(
    readonly messageId: string,
    readonly timeoutMs: number,
  ) {
    super(`message ${messageId} timed out after ${timeoutMs} ms`, 'TASK_TIMEOUT');
  }
}

/**
 * The worker lost the lease of a message (its visibility timeout passed without renewal, so the
 * message may already run elsewhere). The handler's AbortSignal is fired with this error.
 */
export class LeaseLostError extends QueueError {
  constructor(readonly messageId: string) {
    super(`lease of message ${messageId} was lost; it will be delivered again`, 'LEASE_LOST');
  }
}

/** No dead-letter entry has this id. */
export class DeadLetterNotFoundError extends QueueError {
  constructor(readonly messageId: string) {
    super(`no dead-letter entry with id ${messageId}`, 'DEAD_LETTER_NOT_FOUND');
  }
}

/**
 * A bounded outbox (kept while Redis is unreachable) already holds `maxSize` items; nothing of
 * the call was accepted.
 */
export class OutboxFullError extends QueueError {
  constructor(
    readonly maxSize: number,
    readonly label = 'outbox',
  ) {
    super(`${label} is full (${maxSize} items, the outbox size limit) while Redis is unreachable; nothing was accepted`, 'OUTBOX_FULL');
  }
}

/**
 * Redis did not answer a publish (or publishBatch) within the queue's `publishTimeoutMs`
 * (config `message_queue.publish_timeout_ms`), usually because it is unreachable. The command
 * may still reach Redis later (ioredis keeps it queued until it reconnects), so the message may
 * or may not be stored: check with `getStatus(id)` for ids you chose, or publish again with the
 * same id or idempotency key.
 */
export class PublishTimeoutError extends QueueError {
  constructor(
    readonly queue: string,
    /** Time the call waited for Redis, in ms. */
    readonly waitedMs: number,
    readonly timeoutMs: number,
    /** Messages in the call (1 for publish). */
    readonly messageCount: number,
  ) {
    super(
      `publish of ${messageCount} message${messageCount === 1 ? '' : 's'} to queue "${queue}" got no answer from Redis after ${waitedMs} ms ` +
        `(publishTimeoutMs ${timeoutMs}); it may or may not have been stored`,
      'PUBLISH_TIMEOUT',
    );
  }
}

/**
 * A Redis key the library uses holds a value of the wrong type (for example a string where the
 * queue keeps a list), so a step on it failed with WRONGTYPE; this error replaces Redis' bare
 * WRONGTYPE reply and names the key. Delete or rename `key` to let the component use it again
 * (docs/guarantees.md, "Bad input").
 */
export class RedisKeyTypeError extends QueueError {
  constructor(
    /** The key that holds the wrong type. */
    readonly key: string,
    /** The type Redis reports for it (`string`, `list`, `hash`, `set`, `zset`, `stream`). */
    readonly found: string,
    /** The type the library keeps there. */
    readonly expected: string,
    /** The library step that met it (script or command name). */
    readonly operation: string,
  ) {
    super(`Redis key "${key}" holds a ${found}, expected a ${expected} (${operation}); delete or rename that key`, 'REDIS_KEY_TYPE');
  }
}

/**
 * Redis is at its memory limit (`maxmemory`, with the policy `noeviction` the library asks for) and
 * refused a step that adds data, such as a publish: nothing of that step was applied (Redis refuses
 * a script only before its first write). This error replaces Redis' bare `OOM` reply. Workers keep
 * taking, acknowledging and retrying on a full Redis, which frees memory; raise `maxmemory` or add
 * consumers, then publish again (docs/guarantees.md, faults).
 */
export class RedisOutOfMemoryError extends QueueError {
  constructor(
    /** The library step Redis refused (script or command name). */
    readonly operation: string,
  ) {
    super(
      `Redis is out of memory (maxmemory reached) and refused ${operation}; nothing of it was stored. Raise maxmemory or let workers drain, then retry`,
      'REDIS_OOM',
    );
  }
}

/** No Redis server could be reached or started (test harness, embedded default). */
export class RedisUnavailableError extends QueueError {
  constructor(message: string) {
    super(message, 'REDIS_UNAVAILABLE');
  }
}

/** Short, secret-free description of a value for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * A write was applied on the Redis master but fewer replicas than the `durability` option asks
 * for confirmed it within `durability.timeoutMs` (Redis `WAIT`). The message is stored on the
 * master and normally reaches the replicas later; only a failover before then loses it. Publishing
 * again with the same id or idempotency key is safe (stored once).
 */
export class DurabilityTimeoutError extends QueueError {
  constructor(
    /** What was written: `publish`, `completion`, `retry`, `dead letter`, ... */
    readonly operation: string,
    /** Where, e.g. `queue "jobs"`. */
    readonly target: string,
    readonly replicas: number,
    /** Replicas that confirmed in time. */
    readonly acknowledged: number,
    readonly timeoutMs: number,
    /** Set when the connection to the master closed before the replicas confirmed (the master may be gone). */
    readonly connectionLost = false,
  ) {
    super(
      `${operation} on ${target}: stored on the master but ` +
        (connectionLost
          ? `the connection closed before ${replicas} replica${replicas === 1 ? '' : 's'} confirmed it (durability); it is lost if the master failed over before they had it`
          : `only ${acknowledged} of ${replicas} replica${replicas === 1 ? '' : 's'} confirmed it within ${timeoutMs} ms (durability); it survives unless the master fails over before the replicas catch up`),
      'DURABILITY_TIMEOUT',
    );
  }
}
