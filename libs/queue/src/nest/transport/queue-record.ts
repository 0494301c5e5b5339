import type { DispatchAndWaitOptions, TaskProgress } from '../../dispatcher/dispatcher';
import { InvalidOptionError } from '../../errors';
import type { Priority } from '../../queue/queue.types';
import { checkKnownKeys, knownKeys } from '../../util/fields';

/**
 * Per-message options of {@link QueueClientProxy} `send`: every option of the dispatcher's
 * `dispatchAndWait`, passed on as given (an `emit` takes none: an event carries only its data).
 */
export interface QueueRecordOptions {
  /** Default: the client's `priority` (itself default `normal`, or the route's). */
  priority?: Priority;
  /** How long `send` waits for the reply (default: the client's `timeoutMs`, 30 000 ms). The task is cancelled if it has not started by then. */
  timeoutMs?: number;
  /** The handler's per-attempt limit (default: the route's or the queue's). */
  taskTimeoutMs?: number;
  /** Retries after the first attempt (default: the route's or the queue's). */
  maxRetries?: number;
  /** Deliver no earlier than this many ms from now. */
  delayMs?: number;
  /** Fair-sharing group of the task (a meeting id): the queue serves its groups in turn (docs/queue.md, "Groups"). */
  group?: string;
  /** The outcome is POSTed here as JSON once the task completed or finally failed. */
  webhookUrl?: string;
  /** Called with each progress report of the task's handler while `send` waits. */
  onProgress?: (progress: TaskProgress) => void;
}

/** A record's options are the dispatcher's: a key added to either and not listed here fails `tsc`. */
const RECORD_OPTION_KEYS = knownKeys<QueueRecordOptions & DispatchAndWaitOptions>({
  priority: true,
  timeoutMs: true,
  taskTimeoutMs: true,
  maxRetries: true,
  delayMs: true,
  group: true,
  webhookUrl: true,
  onProgress: true,
});

/**
 * Checks a record's options: an object of known keys. Throws {@link InvalidOptionError} at
 * `queueRecord.options` or `queueRecord.options.<key>` (a misspelt `priorty` would be dropped);
 * the values are checked by the dispatcher when the record is sent (`dispatchAndWait.options.<key>`).
 */
function checkRecordOptions(options: unknown): QueueRecordOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidOptionError('queueRecord.options', options, `an options object { ${RECORD_OPTION_KEYS.join(', ')} }`);
  }
  checkKnownKeys(options, RECORD_OPTION_KEYS, 'queueRecord.options', InvalidOptionError);
  return { ...options };
}

/**
 * Data plus options for one message: `client.send('speech_recognition', new QueueRecord(data, { priority: 'high', timeoutMs: 5000 }))`.
 * Only `data` travels; the options steer the dispatch.
 */
export class QueueRecord<T = unknown> {
  readonly options: QueueRecordOptions;

  /** @throws InvalidOptionError at `queueRecord.options.<key>` for an option `send` does not take. */
  constructor(
    readonly data: T,
    options?: QueueRecordOptions,
  ) {
    this.options = checkRecordOptions(options);
  }
}

/** Fluent form of {@link QueueRecord}, like the other Nest transports' record builders. */
export class QueueRecordBuilder<T = unknown> {
  private options: QueueRecordOptions = {};

  constructor(private data?: T) {}

  setData(data: T): this {
    this.data = data;
    return this;
  }

  setPriority(priority: Priority): this {
    this.options.priority = priority;
    return this;
  }

  setTimeout(timeoutMs: number): this {
    this.options.timeoutMs = timeoutMs;
    return this;
  }

  setOptions(options: QueueRecordOptions): this {
    this.options = { ...this.options, ...options };
    return this;
  }

  build(): QueueRecord<T> {
    return new QueueRecord(this.data as T, { ...this.options });
  }
}

/** The answer of a handler that threw an RpcException: acknowledged, not retried, turned back into an error by the client. */
export interface RpcErrorReply {
  $rpcError: unknown;
}

export function isRpcErrorReply(value: unknown): value is RpcErrorReply {
  return typeof value === 'object' && value !== null && Object.prototype.hasOwnProperty.call(value, '$rpcError');
}
