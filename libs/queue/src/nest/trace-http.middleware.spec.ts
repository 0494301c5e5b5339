import { EventEmitter } from 'events';
import type { IncomingMessage, ServerResponse } from 'http';
import { Context, context, propagation, SpanKind, TextMapPropagator, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { FaultyContextManager } from '../tracing/testing/faulty-context-manager';
import { traceHttpRequests } from './trace-http.middleware';

/** The HTTP middleware with an application propagator or context manager that throws: the request is still handled. */

let fault: 'none' | 'extract' | 'context' = 'none';

const propagator: TextMapPropagator = {
  inject: () => undefined,
  extract: (ctx: Context) => {
    if (fault === 'extract') throw new Error('extract boom');
    return ctx;
  },
  fields: () => ['traceparent'],
};

const exporter = new InMemorySpanExporter();

beforeAll(() => {
  context.setGlobalContextManager(new FaultyContextManager((method) => method === 'with' && fault === 'context').enable());
  propagation.setGlobalPropagator(propagator);
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
});
afterAll(() => {
  trace.disable();
  propagation.disable();
  context.disable();
});
afterEach(() => {
  fault = 'none';
});

/** One request through the middleware: how often `next` ran, and whether the span became active in it. */
function handle(): { nextCalls: number; activeInNext: boolean } {
  const req = { method: 'GET', url: '/x?y=1', headers: {} } as IncomingMessage;
  const res = Object.assign(new EventEmitter(), { statusCode: 200 }) as unknown as ServerResponse;
  let nextCalls = 0;
  let activeInNext = false;
  traceHttpRequests(req, res, () => {
    nextCalls++;
    activeInNext = trace.getActiveSpan() !== undefined;
  });
  res.emit('finish');
  return { nextCalls, activeInNext };
}

describe('traceHttpRequests', () => {
  it('runs the request in a SERVER span', () => {
    expect(handle()).toEqual({ nextCalls: 1, activeInNext: true });
    expect(exporter.getFinishedSpans().some((s) => s.kind === SpanKind.SERVER && s.name === 'GET')).toBe(true);
  });

  it.each(['extract', 'context'] as const)('a throwing %s still handles the request once', (f) => {
    fault = f;
    expect(handle().nextCalls).toBe(1);
  });
});
