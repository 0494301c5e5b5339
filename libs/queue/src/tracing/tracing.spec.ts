import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { memoryDispatcherKit, redisDispatcherKit, DispatcherKit } from '../dispatcher/testing/dispatcher-test-kit';
import { createEventBus } from '../events/create-event-bus';
import type { EventBus, EventEnvelope } from '../events/event-bus';
import { envelopeToFields, fieldsToEnvelope, encodeEnvelope, decodeEnvelope } from '../events/cloud-event';
import { createQueue } from '../queue/create-queue';
import { decodeBody, decodeHeader, encodeBody } from '../queue/message-codec';
import { preparePublish } from '../queue/publish-validation';
import { resolveQueueOptions } from '../queue/queue-options';
import type { StoreBackedQueue } from '../queue/task-queue';
import { createRedisClient, RedisClient } from '../redis/redis-connection';
import { RedisServerHandle, spawnRedis, uniquePrefix, waitFor } from '../testing';
import { activeTraceCarrier, contextFromCarrier, decodeTraceField, encodeTraceField, tracerRegistered } from './trace-context';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

let server: RedisServerHandle;
let client: RedisClient;
beforeAll(async () => {
  server = await spawnRedis();
  client = createRedisClient({ url: server.url });
});
afterAll(async () => {
  client?.disconnect();
  await server?.cleanup();
});

describe('without a registered tracer (the no-cost path)', () => {
  it('publish writes the same bytes as before and the header has no trace field', () => {
    expect(tracerRegistered()).toBe(false);
    expect(activeTraceCarrier()).toBeUndefined();
    const stored = preparePublish({ type: 'job', payload: { a: 1 } }, resolveQueueOptions({ name: 'q' }), 'publish', 1000);
    expect(stored.body).toBe('1|2|3|0|1000|job|{"a":1}');
    expect(decodeHeader(stored.body)!.header).not.toHaveProperty('trace');
  });

  it('an event envelope has no traceparent attribute and a stream entry no trace fields', () => {
    const bus = createEventBus({ type: 'local', serviceName: 's' });
    return new Promise<void>((resolve, reject) => {
      void bus
        .subscribe('x', (event) => {
          try {
            expect(Object.keys(event)).toEqual(['specversion', 'id', 'source', 'type', 'time', 'datacontenttype', 'data']);
            resolve();
          } catch (error) {
            reject(error);
          }
        })
        .then(() => bus.publish('x', 'x.happened', 1));
    }).finally(() => bus.close());
  });
});

describe('trace fields', () => {
  it('a message header carries traceparent and a tracestate holding | and spaces, and old bodies still decode', () => {
    const trace = encodeTraceField({ traceparent: TRACEPARENT, tracestate: 'vendor=a|b c,other=x' });
    const body = encodeBody({ priority: 1, maxRetries: 2, timeoutMs: 0, createdAt: 5, type: 't', trace }, '{"x":"|~"}');
    expect(body).toBe(`1|1|2|0|5|t|~${trace}|{"x":"|~"}`);
    const decoded = decodeBody(body);
    expect(decoded).toEqual({ ok: true, header: { priority: 1, maxRetries: 2, timeoutMs: 0, createdAt: 5, type: 't', trace }, payload: { x: '|~' } });
    expect(decodeTraceField(trace)).toEqual({ traceparent: TRACEPARENT, tracestate: 'vendor=a|b c,other=x' });
    expect(decodeBody('1|1|2|0|5|t|"~"')).toEqual({ ok: true, header: { priority: 1, maxRetries: 2, timeoutMs: 0, createdAt: 5, type: 't' }, payload: '~' });
    expect(decodeBody('1|1|2|0|5|t|~no-end').ok).toBe(false);
  });

  it('a malformed traceparent is ignored (no parent), a valid one becomes a remote parent', () => {
    expect(contextFromCarrier('garbage')).toBeUndefined();
    expect(contextFromCarrier('ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).toBeUndefined();
    expect(contextFromCarrier('00-00000000000000000000000000000000-b7ad6b7169203331-01')).toBeUndefined();
    const parent = trace.getSpanContext(contextFromCarrier(TRACEPARENT, 'k=v')!);
    expect(parent).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, isRemote: true });
    expect(parent!.traceState!.get('k')).toBe('v');
  });

  it('envelopes keep traceparent/tracestate through structured JSON and stream fields', () => {
    const event: EventEnvelope = {
      specversion: '1.0',
      id: 'e1',
      source: 's',
      type: 't',
      time: 'now',
      datacontenttype: 'application/json',
      data: 1,
      traceparent: TRACEPARENT,
      tracestate: 'k=v',
    };
    expect(decodeEnvelope(encodeEnvelope(event))).toEqual(event);
    expect(fieldsToEnvelope(envelopeToFields(event))).toEqual(event);
    const { traceparent: _tp, tracestate: _ts, ...plain } = event;
    expect(envelopeToFields(plain)).not.toContain('traceparent');
    expect(fieldsToEnvelope(envelopeToFields(plain))).toEqual(plain);
  });
});

describe('with the SDK registered (in-memory exporter)', () => {
  const exporter = new InMemorySpanExporter();
  const tracer = () => trace.getTracer('test');

  beforeAll(() => {
    const contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  });
  afterAll(() => {
    trace.disable();
    context.disable();
    propagation.disable();
  });
  beforeEach(() => exporter.reset());

  /** Runs `fn` inside a fresh producer span; returns that span's ids. */
  async function inSpan(name: string, fn: () => Promise<unknown>): Promise<{ traceId: string; spanId: string }> {
    return tracer().startActiveSpan(name, async (span) => {
      try {
        await fn();
        return { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId };
      } finally {
        span.end();
      }
    });
  }
  const spans = (name: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.name === name);
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

  describe.each([
    ['memory', () => createQueue({ name: 'traced', backend: { type: 'memory' } })],
    ['redis', () => createQueue({ name: 'traced', backend: { type: 'redis', client, prefix: uniquePrefix('tr') } })],
  ] as Array<[string, () => StoreBackedQueue]>)('queue (%s)', (_name, make) => {
    let queue: StoreBackedQueue;
    beforeEach(() => {
      queue = make();
    });
    afterEach(() => queue.close({ drainTimeoutMs: 200 }));

    it('a publish inside a span gives a CONSUMER handler span in the same trace, child of the producer span; the handler sees it active', async () => {
      const seen: string[] = [];
      queue.process('job', () => {
        seen.push(trace.getActiveSpan()?.spanContext().traceId ?? 'none');
      });
      const producer = await inSpan('request', () => queue.publish({ type: 'job', payload: 1 }));
      const [span] = await waitFor(() => spans('process job').length === 1 && spans('process job'), 'the handler span');
      expect(span.spanContext().traceId).toBe(producer.traceId);
      expect(parentOf(span)).toBe(producer.spanId);
      expect(span.kind).toBe(SpanKind.CONSUMER);
      expect(span.attributes).toMatchObject({
        'messaging.destination.name': 'traced',
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
      });
      expect(seen).toEqual([producer.traceId]);
    });

    it('a failed attempt ends its span with status ERROR; the retry gets a second span under the same producer', async () => {
      let n = 0;
      queue.process('flaky', () => {
        if (++n === 1) throw new Error('first attempt fails');
      });
      const producer = await inSpan('request', () => queue.publish({ type: 'flaky', maxRetries: 1 }));
      const done = await waitFor(() => spans('process flaky').length === 2 && spans('process flaky'), 'two attempt spans');
      expect(done.map((s) => s.status.code).sort()).toEqual([SpanStatusCode.UNSET, SpanStatusCode.ERROR].sort());
      expect(done.every((s) => parentOf(s) === producer.spanId && s.spanContext().traceId === producer.traceId)).toBe(true);
    });

    it('a publish outside any span: the handler span starts its own trace', async () => {
      queue.process('plain', () => undefined);
      await queue.publish({ type: 'plain' });
      const [span] = await waitFor(() => spans('process plain').length === 1 && spans('process plain'), 'the handler span');
      expect(span.parentSpanContext).toBeUndefined();
    });
  });

  describe.each([
    ['local', () => createEventBus({ type: 'local', serviceName: 'svc' })],
    ['redis_pubsub', () => createEventBus({ type: 'redis_pubsub', client, prefix: uniquePrefix('tps'), serviceName: 'svc' })],
    ['redis_stream', () => createEventBus({ type: 'redis_stream', client, prefix: uniquePrefix('tst'), serviceName: 'svc', consumerName: 'c1', blockMs: 200 })],
  ] as Array<[string, () => EventBus]>)('event bus (%s)', (_name, make) => {
    let bus: EventBus;
    beforeEach(() => {
      bus = make();
    });
    afterEach(() => bus.close({ drainTimeoutMs: 200 }));

    it('the event carries traceparent (CloudEvents extension) and its handler runs in a child span of the publisher', async () => {
      const received: EventEnvelope[] = [];
      const active: string[] = [];
      await bus.subscribe('meetings', (event) => {
        received.push(event);
        active.push(trace.getActiveSpan()?.spanContext().traceId ?? 'none');
      });
      const producer = await inSpan('request', () => bus.publish('meetings', 'meeting.started', { id: 'm1' }));
      const [span] = await waitFor(() => spans('process meeting.started').length === 1 && spans('process meeting.started'), 'the event span');
      expect(received[0].traceparent).toBe(`00-${producer.traceId}-${producer.spanId}-01`);
      expect(span.spanContext().traceId).toBe(producer.traceId);
      expect(parentOf(span)).toBe(producer.spanId);
      expect(span.kind).toBe(SpanKind.CONSUMER);
      expect(span.attributes).toMatchObject({
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        'messaging.destination.name': 'meetings',
      });
      expect(active).toEqual([producer.traceId]);
    });
  });

  describe.each([
    ['memory', () => memoryDispatcherKit()],
    ['redis', () => redisDispatcherKit(() => server.client(), uniquePrefix('tdsp'))],
  ] as Array<[string, () => DispatcherKit]>)('dispatcher (%s)', (_name, makeKit) => {
    let kit: DispatcherKit;
    afterEach(() => kit.close());

    it('dispatch -> handler -> onCompleted callback form one trace: handler under the dispatch span, callback under the handler', async () => {
      kit = makeKit();
      const api = kit.dispatcher({ service: 'api', routes: { 'media.transcode': { queue: 'media' } } });
      const media = kit.dispatcher({ service: 'media', routes: {} });
      media.handle('media.transcode', () => 'ok');
      const callbackTraces: string[] = [];
      api.onCompleted('media.transcode', () => {
        callbackTraces.push(trace.getActiveSpan()?.spanContext().traceId ?? 'none');
      });
      const producer = await inSpan('request', () => api.dispatch('media.transcode', { file: 'a' }));
      const [result] = await waitFor(() => spans('result media.transcode').length === 1 && spans('result media.transcode'), 'the callback span');
      const [handler] = spans('process media.transcode');
      expect(handler.spanContext().traceId).toBe(producer.traceId);
      expect(parentOf(handler)).toBe(producer.spanId);
      expect(result.spanContext().traceId).toBe(producer.traceId);
      expect(parentOf(result)).toBe(handler.spanContext().spanId);
      expect(result.attributes).toMatchObject({ 'messaging.operation.type': 'process', 'messaging.operation.name': 'result' });
      expect(callbackTraces).toEqual([producer.traceId]);
    });
  });
});
