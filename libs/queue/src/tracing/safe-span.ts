import { diag, Exception, INVALID_SPAN_CONTEXT, Link, Span, SpanAttributes, SpanAttributeValue, SpanContext, SpanStatus, TimeInput } from '@opentelemetry/api';

/**
 * Runs one call into the application's tracer or span; a throw is reported to the OpenTelemetry
 * diagnostic logger (`diag`, silent unless the application sets one) and `fallback` is returned:
 * a broken tracer must never stop a message, an event or a request from being handled.
 */
export function tracingCall<T>(what: string, call: () => T, fallback: T): T {
  try {
    return call();
  } catch (error) {
    reportTracingError(what, error);
    return fallback;
  }
}

/** Reports a throw of the application's tracer, context manager or span to `diag` (see {@link tracingCall}). */
export function reportTracingError(what: string, error: unknown): void {
  diag.error(`@meeting/queue: ${what} threw, tracing skipped: ${error instanceof Error ? error.message : String(error)}`);
}

/**
 * The span the library itself ends and annotates (consumer and HTTP server spans): every call goes
 * through {@link tracingCall}, so a throwing span (`end`, `setStatus`, `recordException`...) cannot
 * leave a message unsettled or throw from an HTTP `finish` listener. The handler sees the SDK's own
 * span as active, not this wrapper.
 */
export class SafeSpan implements Span {
  constructor(private readonly inner: Span) {}

  spanContext(): SpanContext {
    return tracingCall('span.spanContext', () => this.inner.spanContext(), INVALID_SPAN_CONTEXT);
  }

  setAttribute(key: string, value: SpanAttributeValue): this {
    tracingCall('span.setAttribute', () => this.inner.setAttribute(key, value), undefined);
    return this;
  }

  setAttributes(attributes: SpanAttributes): this {
    tracingCall('span.setAttributes', () => this.inner.setAttributes(attributes), undefined);
    return this;
  }

  addEvent(name: string, attributesOrStartTime?: SpanAttributes | TimeInput, startTime?: TimeInput): this {
    tracingCall('span.addEvent', () => this.inner.addEvent(name, attributesOrStartTime, startTime), undefined);
    return this;
  }

  addLink(link: Link): this {
    tracingCall('span.addLink', () => this.inner.addLink(link), undefined);
    return this;
  }

  addLinks(links: Link[]): this {
    tracingCall('span.addLinks', () => this.inner.addLinks(links), undefined);
    return this;
  }

  setStatus(status: SpanStatus): this {
    tracingCall('span.setStatus', () => this.inner.setStatus(status), undefined);
    return this;
  }

  updateName(name: string): this {
    tracingCall('span.updateName', () => this.inner.updateName(name), undefined);
    return this;
  }

  end(endTime?: TimeInput): void {
    tracingCall('span.end', () => this.inner.end(endTime), undefined);
  }

  isRecording(): boolean {
    return tracingCall('span.isRecording', () => this.inner.isRecording(), false);
  }

  recordException(exception: Exception, time?: TimeInput): void {
    tracingCall('span.recordException', () => this.inner.recordException(exception, time), undefined);
  }
}
