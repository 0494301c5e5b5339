import { TaskTimeoutError } from '../../errors';
import { ConsumerSpan, decodeTraceField, endSpan, startConsumerSpan, tracerRegistered, withConsumerSpan } from '../../tracing/trace-context';
import { ProgressThrottle, progressJson } from '../progress-reporter';
import type { DeliveryRef } from '../queue-store';
import type { HandlerContext, QueueMessage } from '../queue.types';

export type RunOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** The outcome of every handler that returned (or resolved to) nothing: one object, not one per message. */
const OK_NO_VALUE: RunOutcome = Object.freeze({ ok: true, value: undefined });

function okOutcome(value: unknown): RunOutcome {
  return value === undefined ? OK_NO_VALUE : { ok: true, value };
}

/**
 * One delivery held by this process: buffered until its type has a free slot, then running.
 * The AbortSignal is created on first use (most handlers never read it).
 */
export class HandlerRun implements DeliveryRef {
  settled = false;
  startedAt = 0;
  /** Lease deadline asked for explicitly by the handler (0: automatic renewal only). */
  leaseUntil = 0;
  /** In its worker's HeldRuns, and its neighbours there (only HeldRuns writes these three). */
  held = false;
  heldPrev: HandlerRun | null = null;
  heldNext: HandlerRun | null = null;
  private controller?: AbortController;
  private timer?: NodeJS.Timeout;
  private consumer?: ConsumerSpan;
  /** Created by the first `ctx.progress` call (none for handlers that never report). */
  private progressThrottle?: ProgressThrottle;

  /** When the message became ready to start (ms): its publish, or its due time for a delayed publish. */
  readyAt = 0;

  constructor(
    readonly message: QueueMessage,
    /** The token of this delivery's lease (every store step that names the delivery carries it). */
    readonly lease: string,
    private readonly extend: (run: HandlerRun, ms?: number) => Promise<void>,
    private readonly onSettle: (run: HandlerRun, outcome: RunOutcome) => void,
    /** Queue name (span attribute) and the W3C trace context the message carries, if any. */
    private readonly queueName = '',
    private readonly trace?: string,
    /** Writes one progress value of this delivery (see ProgressThrottle); never rejects. */
    private readonly writeProgress?: (run: HandlerRun, json: string) => Promise<void>,
  ) {}

  /** `ctx.progress`: validates at once (throws), then writes throttled; resolves once written, superseded or the run ended. */
  progress(value: unknown): Promise<void> {
    const json = progressJson(value);
    if (this.settled || !this.writeProgress) return Promise.resolve();
    const write = this.writeProgress;
    this.progressThrottle ??= new ProgressThrottle((text) => write(this, text));
    return this.progressThrottle.report(json);
  }

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
    const own = this.message.timeoutMs;
    const timeoutMs = own > 0 && handlerTimeoutMs > 0 ? Math.min(own, handlerTimeoutMs) : Math.max(own, handlerTimeoutMs, 0);
    if (timeoutMs > 0) {
      this.timer = setTimeout(() => this.abort(new TaskTimeoutError(this.id, timeoutMs)), timeoutMs);
    }
    const context = new RunContext(this, this.extend);
    // the handler runs in a CONSUMER span, child of the producer's context (docs/tracing.md); none without a tracer or a carried context
    if (this.trace !== undefined || tracerRegistered())
      this.consumer = startConsumerSpan(this.trace === undefined ? undefined : decodeTraceField(this.trace), () => ({
        name: `process ${this.message.type}`,
        attributes: {
          'messaging.system': 'meeting-queue',
          'messaging.operation.type': 'process',
          'messaging.operation.name': 'process',
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
        (value) => this.settle(okOutcome(value)),
        (error) => this.settle({ ok: false, error }),
      );
    } else {
      this.settle(okOutcome(result));
    }
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
    this.progressThrottle?.stop();
    if (this.consumer) endSpan(this.consumer.span, reason);
    this.controller?.abort(reason);
  }

  private settle(outcome: RunOutcome): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.progressThrottle?.stop();
    if (this.consumer) endSpan(this.consumer.span, outcome.ok ? undefined : outcome.error);
    this.onSettle(this, outcome);
  }
}

/**
 * What a handler gets beside its message. Every context has the same hidden class: `signal` is an
 * own enumerable accessor (so `{ ...context }` and destructuring see it, as before) defined with one
 * shared getter. An object literal with a getter built per run gave every context its own hidden
 * class (about 1 KB allocated per message, measured with V8's sampling heap profiler).
 */
class RunContext implements HandlerContext {
  static readonly #signal: PropertyDescriptor = {
    enumerable: true,
    get(this: RunContext): AbortSignal {
      return this.#run.signal;
    },
  };
  static readonly #progressFn: PropertyDescriptor = {
    enumerable: true,
    get(this: RunContext): (value: unknown) => Promise<void> {
      const run = this.#run;
      return (this.#progress ??= (value: unknown) => run.progress(value));
    },
  };
  static readonly #extendLeaseFn: PropertyDescriptor = {
    enumerable: true,
    get(this: RunContext): (ms?: number) => Promise<void> {
      const run = this.#run;
      const extend = this.#extend;
      return (this.#extendLease ??= (ms?: number) => extend(run, ms));
    },
  };
  readonly attempt: number;
  /**
   * Own accessors too (`const { extendLease, progress } = context` works), each returning one
   * function per context, made on first use only (most handlers never call them).
   */
  declare readonly extendLease: (ms?: number) => Promise<void>;
  declare readonly progress: (value: unknown) => Promise<void>;
  declare readonly signal: AbortSignal;
  #progress?: (value: unknown) => Promise<void>;
  #extendLease?: (ms?: number) => Promise<void>;
  readonly #run: HandlerRun;
  readonly #extend: (run: HandlerRun, ms?: number) => Promise<void>;

  constructor(run: HandlerRun, extend: (run: HandlerRun, ms?: number) => Promise<void>) {
    this.#run = run;
    this.#extend = extend;
    this.attempt = run.message.attempt;
    Object.defineProperty(this, 'extendLease', RunContext.#extendLeaseFn);
    Object.defineProperty(this, 'signal', RunContext.#signal);
    Object.defineProperty(this, 'progress', RunContext.#progressFn);
  }
}
