import type { Priority } from '../../queue/queue.types';

/** Per-message options of {@link QueueClientProxy} `send` / `emit`. */
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
}

/**
 * Data plus options for one message: `client.send('speech_recognition', new QueueRecord(data, { priority: 'high', timeoutMs: 5000 }))`.
 * Only `data` travels; the options steer the dispatch.
 */
export class QueueRecord<T = unknown> {
  constructor(
    readonly data: T,
    readonly options: QueueRecordOptions = {},
  ) {}
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
