import { ROOT_CONTEXT, Span, SpanKind, trace, Tracer, TracerProvider } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { memoryDispatcherKit, DispatcherKit } from '../dispatcher/testing/dispatcher-test-kit';
import { createEventBus } from '../events/create-event-bus';
import { createQueue } from '../queue/create-queue';
import type { StoreBackedQueue } from '../queue/task-queue';
import { createRedisClient, RedisClient } from '../redis/redis-connection';
import { quietLogger, RedisServerHandle, spawnRedis, uniquePrefix, waitFor } from '../testing';
import { context } from '@opentelemetry/api';
import { FaultyContextManager } from './testing/faulty-context-manager';
import { endSpan, startServerSpan, tracerRegistered } from './trace-context';

/**
 * A tracer, span or context manager of the application that throws must not stop a message, an
 * event, a dispatcher result or an HTTP request from being handled (docs/tracing.md, "A broken
 * tracer"): the library's calls into them are guarded.
 */

type Fault = 'none' | 'startSpan' | 'span' | 'context';
let fault: Fault = 'none';
const exporter = new InMemorySpanExporter();
const sdk = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

/** A span whose every method used to end or annotate it throws. */
function throwingSpan(span: Span): Span {
  const boom = (): never => {
    throw new Error('span method boom');
  };
  return Object.assign(span, { end: boom, setStatus: boom, recordException: boom, setAttribute: boom, updateName: boom });
}

/** The SDK's tracer, with the fault of the moment injected. */
const provider: TracerProvider = {
  getTracer(name, version) {
    const inner = sdk.getTracer(name, version);
    const tracer: Tracer = {
      startSpan(spanName, options, ctx) {
        if (fault === 'startSpan') throw new Error('startSpan boom');
        const span = inner.startSpan(spanName, options, ctx);
        return fault === 'span' ? throwingSpan(span) : span;
      },
      startActiveSpan: inner.startActiveSpan.bind(inner) as Tracer['startActiveSpan'],
    };
    return tracer;
  },
};

const FAULTS: Fault[] = ['startSpan', 'span', 'context'];

let server: RedisServerHandle;
let client: RedisClient;
beforeAll(async () => {
  context.setGlobalContextManager(new FaultyContextManager(() => fault === 'context').enable());
  trace.setGlobalTracerProvider(provider);
  server = await spawnRedis();
  client = createRedisClient({ url: server.url });
});
afterAll(async () => {
  fault = 'none';
  client?.disconnect();
  await server?.cleanup();
  trace.disable();
  context.disable();
});
afterEach(() => {
  fault = 'none';
});

it('the injected faults are real: without them spans are recorded', async () => {
  expect(tracerRegistered()).toBe(true);
  const queue = createQueue({ name: 'sane', backend: { type: 'memory' } });
  queue.process('job', () => undefined);
  await queue.publish({ type: 'job' });
  await waitFor(() => exporter.getFinishedSpans().some((s) => s.name === 'process job' && s.kind === SpanKind.CONSUMER), 'the handler span');
  await queue.close({ drainTimeoutMs: 200 });
});

describe.each([
  ['memory', () => createQueue({ name: 'faulty', backend: { type: 'memory' }, maxRetries: 1, backoff: { baseMs: 1, jitter: 0 }, logger: quietLogger })],
  [
    'redis',
    () =>
      createQueue({
        name: 'faulty',
        backend: { type: 'redis', client, prefix: uniquePrefix('tfault') },
        maxRetries: 1,
        backoff: { baseMs: 1, jitter: 0 },
        logger: quietLogger,
      }),
  ],
] as Array<[string, () => StoreBackedQueue]>)('queue (%s)', (_name, make) => {
  let queue: StoreBackedQueue;
  beforeEach(() => {
    queue = make();
  });
  afterEach(() => queue.close({ drainTimeoutMs: 200 }));

  it.each(FAULTS)('a throwing %s: publish works, the message is processed, a failing one retried and dead-lettered', async (f) => {
    const ran: string[] = [];
    queue.process('ok', () => {
      ran.push('ok');
    });
    queue.process('bad', () => {
      ran.push('bad');
      throw new Error('handler fails');
    });
    await trace.getTracer('test').startActiveSpan('request', async (span) => {
      fault = f; // inside the producer span: publish reads the active span
      try {
        await queue.publish({ type: 'ok' });
        await queue.publish({ type: 'bad' });
      } finally {
        span.end();
      }
    });
    const stats = await waitFor(async () => {
      const s = await queue.stats();
      return s.total_processed === 1 && s.total_dead_letter === 1 && s;
    }, `the messages settled despite the ${f} fault`);
    expect(stats.processing_count).toBe(0);
    expect(ran.sort()).toEqual(['bad', 'bad', 'ok']);
  });
});

describe.each(FAULTS)('a throwing %s', (f) => {
  it('an event is still delivered to its handler', async () => {
    const bus = createEventBus({ type: 'local', serviceName: 'svc', logger: quietLogger });
    try {
      const got: unknown[] = [];
      await bus.subscribe('meetings', (event) => {
        got.push(event.data);
      });
      fault = f;
      await bus.publish('meetings', 'meeting.started', 1);
      await waitFor(() => got.length === 1, 'the event handler');
    } finally {
      await bus.close({ drainTimeoutMs: 200 });
    }
  });

  it('a dispatched task runs and its onCompleted callback is called', async () => {
    const kit: DispatcherKit = memoryDispatcherKit();
    try {
      const api = kit.dispatcher({ service: 'api', routes: { 'media.transcode': { queue: 'media' } } });
      const media = kit.dispatcher({ service: 'media', routes: {} });
      media.handle('media.transcode', () => 'done');
      const results: unknown[] = [];
      api.onCompleted('media.transcode', (task) => {
        results.push(task.result);
      });
      fault = f;
      await api.dispatch('media.transcode', { file: 'a' });
      await waitFor(() => results.length === 1, 'the onCompleted callback');
      expect(results).toEqual(['done']);
    } finally {
      fault = 'none';
      await kit.close();
    }
  });

  it('an HTTP server span can be started, annotated and ended', () => {
    fault = f;
    const server = startServerSpan('GET', ROOT_CONTEXT, { 'http.request.method': 'GET' });
    expect(() => {
      server.span.updateName('GET /x');
      server.span.setAttribute('http.response.status_code', 500);
      endSpan(server.span, new Error('answered 500'));
    }).not.toThrow();
  });
});
