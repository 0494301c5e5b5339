import { TaskTimeoutError } from '../errors';
import { ConsumerSpan, decodeTraceField, endSpan, startConsumerSpan, tracerRegistered, withConsumerSpan } from '../tracing/trace-context';
import type { DeliveryRef } from './queue-store';
import type { HandlerContext, QueueMessage } from './queue.types';

export type RunOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * One delivery held by this process: buffered until its type has a free slot, then running.
 * The AbortSignal is created on first use (most handlers never read it).
 */
export class HandlerRun implements DeliveryRef {
  settled = false;
  startedAt = 0;
  /** Lease deadline asked for explicitly by the handler (0: automatic renewal only). */
  leaseUntil = 0;
  private controller?: AbortController;
  private timer?: NodeJS.Timeout;
  private consumer?: ConsumerSpan;

  constructor(
    readonly message: QueueMessage,
    /** The token of this delivery's lease (every store step that names the delivery carries it). */
    readonly lease: string,
    private readonly extend: (run: HandlerRun, ms?: number) => Promise<void>,
    private readonly onSettle: (run: HandlerRun, outcome: RunOutcome) => void,
    /** Queue name (span attribute) and the W3C trace context the message carries, if any. */
    private readonly queueName = '',
    private readonly trace?: string,
  ) {}

  get id(): string {
    return this.message.id;
  }

  get attempt(): number {
    return this.message.attempt;
  }

  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }

  /**
   * Starts the handler; the outcome settles once (success, throw, timeout or abort). The one time
   * limit of an attempt is here: the smaller of the message's `timeoutMs` and the handler's own
   * `handlerTimeoutMs` (0: none); past it the signal fires with TaskTimeoutError.
   */
  start(handler: (message: QueueMessage, context: HandlerContext) => unknown, handlerTimeoutMs = 0): void {
    this.startedAt = Date.now();
    const timeoutMs = smallerLimit(this.message.timeoutMs, handlerTimeoutMs);
    if (timeoutMs > 0) {
      this.timer = setTimeout(() => this.abort(new TaskTimeoutError(this.id, timeoutMs)), timeoutMs);
    }
    const context = handlerContext(this);
    // the handler runs in a CONSUMER span, child of the producer's context (docs/tracing.md); none without a tracer or a carried context
    if (this.trace !== undefined || tracerRegistered())
      this.consumer = startConsumerSpan(this.trace === undefined ? undefined : decodeTraceField(this.trace), () => ({
        name: `process ${this.message.type}`,
        attributes: {
          'messaging.system': 'meeting-queue',
          'messaging.operation.type': 'process',
          'messaging.destination.name': this.queueName,
          'messaging.message.id': this.id,
          'messaging.meeting_queue.attempt': this.message.attempt,
        },
      }));
    let result: unknown;
    try {
      result = this.consumer ? withConsumerSpan(this.consumer, () => handler(this.message, context)) : handler(this.message, context);
    } catch (error) {
      this.settle({ ok: false, error });
      return;
    }
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      (result as PromiseLike<unknown>).then(
        (value) => this.settle({ ok: true, value }),
        (error) => this.settle({ ok: false, error }),
      );
    } else {
      this.settle({ ok: true, value: result });
    }
  }

  /** Asks the store for a longer lease (the handler's `extendLease`). */
  extendLease(ms?: number): Promise<void> {
    return this.extend(this, ms);
  }

  /** Fires the signal and settles the run as failed with `reason` (timeout, lost lease). */
  abort(reason: Error): void {
    if (this.settled) return;
    this.settle({ ok: false, error: reason });
    this.controller?.abort(reason);
  }

  /** Fires the signal without reporting an outcome (the caller already disposed of the delivery). */
  cancel(reason: Error): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.consumer) endSpan(this.consumer.span, reason);
    this.controller?.abort(reason);
  }

  private settle(outcome: RunOutcome): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.consumer) endSpan(this.consumer.span, outcome.ok ? undefined : outcome.error);
    this.onSettle(this, outcome);
  }
}

/** The smaller of two time limits, 0 meaning none. */
function smallerLimit(a: number, b: number): number {
  if (a > 0 && b > 0) return Math.min(a, b);
  return a > 0 ? a : b > 0 ? b : 0;
}

/**
 * The handler's context: own properties (callers spread it), the signal created only when read.
 * A plain function of `run`, so the getter needs no closure of its own (hot path: one per message).
 */
function handlerContext(run: HandlerRun): HandlerContext {
  return {
    attempt: run.attempt,
    get signal() {
      return run.signal;
    },
    extendLease: (ms?: number) => run.extendLease(ms),
  };
}
