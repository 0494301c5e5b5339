import {
  Attributes,
  Context,
  context,
  createTraceState,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  trace,
  Tracer,
} from '@opentelemetry/api';
import { reportTracingError, SafeSpan, tracingCall } from './safe-span';

/**
 * W3C trace context across the queue, the event buses and the dispatcher (see docs/tracing.md).
 * Only `@opentelemetry/api`: the application registers an SDK (or none). Without a registered
 * tracer nothing here allocates: publish reads `trace.getActiveSpan()` (undefined) and a handler
 * without a carried context checks {@link tracerRegistered} (a few property reads).
 */

/** The two W3C Trace Context fields (also the names of the CloudEvents distributed-tracing extension). */
export interface TraceCarrier {
  traceparent: string;
  tracestate?: string;
}

const TRACER_NAME = '@meeting/queue';
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[^\s]*)?$/;
let cachedTracer: { provider: unknown; tracer: Tracer } | undefined;

/**
 * The API's global provider: `trace.setGlobalTracerProvider` gives this same proxy its delegate, so
 * reading the delegate (a property) tells whether a tracer is registered, where
 * `trace.getTracerProvider()` / `getActiveSpan()` cost 100-200 ns per call (global registry and
 * version checks). Caveat: after `trace.disable()` the API makes a new proxy, and this one keeps
 * its old delegate (tests only).
 */
const GLOBAL_PROVIDER = trace.getTracerProvider();

/** Whether the application registered a tracer provider (`trace.setGlobalTracerProvider`); a property read. */
export function tracerRegistered(): boolean {
  return !(GLOBAL_PROVIDER instanceof ProxyTracerProvider) || GLOBAL_PROVIDER.getDelegate() !== NOOP_PROVIDER;
}

function tracer(): Tracer {
  const provider = trace.getTracerProvider();
  if (cachedTracer?.provider !== provider) cachedTracer = { provider, tracer: provider.getTracer(TRACER_NAME) };
  return cachedTracer.tracer;
}

/**
 * The active span's context as W3C fields; undefined when no span is active. Without a registered
 * tracer it returns at once (no context lookup), even if a non-recording span is active. A context
 * manager or span that throws gives undefined (the message is published without a context).
 */
export function activeTraceCarrier(): TraceCarrier | undefined {
  if (!tracerRegistered()) return undefined;
  return tracingCall('the active span', readActiveCarrier, undefined);
}

function readActiveCarrier(): TraceCarrier | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const sc = span.spanContext();
  if (!isSpanContextValid(sc)) return undefined;
  const traceparent = `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
  const tracestate = sc.traceState?.serialize();
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

/** The remote parent context of a carried `traceparent`; undefined when absent or malformed (then ignored). */
export function contextFromCarrier(traceparent: string | undefined, tracestate?: string): Context | undefined {
  if (!traceparent) return undefined;
  const m = TRACEPARENT.exec(traceparent.trim());
  if (!m || m[1] === 'ff' || (m[1] === '00' && m[5] !== undefined)) return undefined;
  const spanContext = {
    traceId: m[2],
    spanId: m[3],
    traceFlags: parseInt(m[4], 16),
    isRemote: true,
    traceState: tracestate ? createTraceState(tracestate) : undefined,
  };
  if (!isSpanContextValid(spanContext)) return undefined;
  return trace.setSpanContext(ROOT_CONTEXT, spanContext);
}

/**
 * The compact form of a carrier inside a queue message header: `traceparent`, then a space and
 * the URI-encoded tracestate when there is one (so it never contains `|`).
 */
export function encodeTraceField(carrier: TraceCarrier): string {
  return carrier.tracestate ? `${carrier.traceparent} ${encodeURIComponent(carrier.tracestate)}` : carrier.traceparent;
}

export function decodeTraceField(field: string): TraceCarrier | undefined {
  const space = field.indexOf(' ');
  if (space < 0) return { traceparent: field };
  try {
    return { traceparent: field.slice(0, space), tracestate: decodeURIComponent(field.slice(space + 1)) };
  } catch {
    return { traceparent: field.slice(0, space) };
  }
}

/** A consumer span and the context to run the handler in. */
export interface ConsumerSpan {
  span: Span;
  context: Context;
}

/**
 * Starts the CONSUMER span of one message or event (OTel messaging conventions, "process" span of a
 * single message): its parent is the producer's context when one was carried, so the handler's work
 * joins the producer's trace; without one it starts a trace of its own. Undefined when no tracer is
 * registered and nothing was carried (the no-cost path: `describe` is called only for a span), and
 * when the tracer throws (the handler then runs without a span). The returned span never throws.
 */
export function startConsumerSpan(carrier: TraceCarrier | undefined, describe: () => { name: string; attributes: Attributes }): ConsumerSpan | undefined {
  const parent = carrier ? contextFromCarrier(carrier.traceparent, carrier.tracestate) : undefined;
  if (!parent && !tracerRegistered()) return undefined;
  const base = parent ?? ROOT_CONTEXT;
  const { name, attributes } = describe();
  return tracingCall(
    'tracer.startSpan',
    () => {
      const span = tracer().startSpan(name, { kind: SpanKind.CONSUMER, attributes }, base);
      return { span: new SafeSpan(span), context: trace.setSpan(base, span) };
    },
    undefined,
  );
}

/** Runs `fn` with `consumer` active (or as is without one; also when the context manager throws). */
export function withConsumerSpan<T>(consumer: ConsumerSpan | undefined, fn: () => T): T {
  if (!consumer) return fn();
  const run: { state: 'before' | 'running' | 'returned'; value?: T } = { state: 'before' };
  try {
    return context.with(consumer.context, () => {
      run.state = 'running';
      run.value = fn();
      run.state = 'returned';
      return run.value;
    });
  } catch (error) {
    if (run.state === 'running') throw error; // the handler's own throw
    reportTracingError('context.with', error);
    return run.state === 'returned' ? (run.value as T) : fn();
  }
}

/** Ends a span with the outcome: an error sets status ERROR and records the exception. Give it a {@link SafeSpan} (never throws). */
export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) {
    const e = error instanceof Error ? error : new Error(String(error));
    span.recordException(e);
    span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
  }
  span.end();
}

/** Starts a SERVER span (HTTP) under `parent`; a non-recording one (and `parent` as is) when the tracer throws. The span never throws. */
export function startServerSpan(name: string, parent: Context, attributes: Attributes): ConsumerSpan {
  const span = tracingCall('tracer.startSpan', () => tracer().startSpan(name, { kind: SpanKind.SERVER, attributes }, parent), undefined);
  return span
    ? { span: new SafeSpan(span), context: trace.setSpan(parent, span) }
    : { span: new SafeSpan(trace.wrapSpanContext(INVALID_SPAN_CONTEXT)), context: parent };
}
