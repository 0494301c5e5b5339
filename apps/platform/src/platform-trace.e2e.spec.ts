import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { QueueAppConfig } from '@meeting/queue';
import { RedisServerHandle, spawnRedis, waitFor } from '@meeting/queue/testing';
import { AppModule as AiModule } from '../../ai-service/src/app.module';
import { loadServiceConfig as aiConfig } from '../../ai-service/src/service-config';
import { AppModule as MeetingModule } from '../../meeting-service/src/app.module';
import { loadServiceConfig as meetingConfig } from '../../meeting-service/src/service-config';
import { AppModule as SignalingModule, configureSignalingApp } from '../../signaling-service/src/app.module';
import { loadServiceConfig as signalingConfig } from '../../signaling-service/src/service-config';

/**
 * Issue 11, traces across the queue: the services in one process on one Redis, the OpenTelemetry
 * SDK registered with an in-memory exporter (what an application does with its own exporter). The
 * test is the HTTP client: it sends `traceparent` from a span of its own, and QueueModule's HTTP
 * middleware continues it in meeting-service.
 */
describe('platform: one trace from an HTTP request across dispatch, handler, callback and event (e2e)', () => {
  const exporter = new InMemorySpanExporter();
  let server: RedisServerHandle;
  const apps: Record<string, INestApplication> = {};

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    server = await spawnRedis();
    const env = { ...process.env, REDIS_URL: server.url, QUEUE_TYPE: 'redis', EVENT_BUS_TYPE: 'redis_stream', CONFIG_FILE: '' };
    const modules: Array<[string, (config: QueueAppConfig) => unknown, QueueAppConfig]> = [
      ['ai', (config) => AiModule.register({ config, drainTimeoutMs: 2000, rateLimit: false }), aiConfig(env)],
      ['meeting', (config) => MeetingModule.register({ config, drainTimeoutMs: 2000, rateLimit: false }), meetingConfig(env)],
      ['signaling', (config) => SignalingModule.register({ config, drainTimeoutMs: 2000, rateLimit: false }), signalingConfig(env)],
    ];
    for (const [name, register, config] of modules) {
      const moduleRef = await Test.createTestingModule({ imports: [register(config) as never] }).compile();
      apps[name] = moduleRef.createNestApplication({ logger: false });
      if (name === 'signaling') configureSignalingApp(apps[name]);
      await apps[name].init();
    }
  });

  afterAll(async () => {
    for (const app of Object.values(apps)) await app.close();
    await server?.cleanup();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('POST /transcripts -> speech_recognition in ai-service -> onCompleted -> transcript.recorded in signaling-service share the trace', async () => {
    const meeting = request(apps.meeting.getHttpServer());
    const { meetingId } = (await meeting.post('/meetings').send({ title: 'retro', hostId: 'alice' }).expect(201)).body;
    await meeting.post(`/meetings/${meetingId}/participants`).send({ name: 'Bob', participantId: 'bob' }).expect(201); // a transcript names a participant present

    const client = trace.getTracer('test-client').startSpan('client request', { kind: SpanKind.CLIENT });
    const headers: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), client), headers);
    expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    await meeting.post(`/meetings/${meetingId}/transcripts`).set(headers).send({ audio: 'text:ship it', participantId: 'bob' }).expect(202);
    client.end();
    const traceId = client.spanContext().traceId;

    const inTrace = () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const find = (spans: ReadableSpan[], name: string, extra: (s: ReadableSpan) => boolean = () => true) => spans.find((s) => s.name === name && extra(s));
    // Every span ends on its own: the callback's span (it publishes transcript.recorded) can end
    // after signaling-service has handled the event, so wait for all four.
    const spans = await waitFor(
      () => {
        const all = inTrace();
        const done =
          find(all, 'POST /meetings/:meetingId/transcripts') &&
          find(all, 'process speech_recognition') &&
          find(all, 'result speech_recognition') &&
          find(all, 'process transcript.recorded', (s) => s.attributes['messaging.consumer.group.name'] === 'signaling-service');
        return done && all;
      },
      'the HTTP, handler, callback and signaling-service spans in the trace',
      15_000,
    );

    const http = find(spans, 'POST /meetings/:meetingId/transcripts');
    const handler = find(spans, 'process speech_recognition');
    const callback = find(spans, 'result speech_recognition');
    const signaling = find(spans, 'process transcript.recorded', (s) => s.attributes['messaging.consumer.group.name'] === 'signaling-service');
    expect(http).toMatchObject({ kind: SpanKind.SERVER, attributes: { 'http.route': '/meetings/:meetingId/transcripts', 'http.response.status_code': 202 } });
    expect(handler?.kind).toBe(SpanKind.CONSUMER);
    const parent = (s?: ReadableSpan) => s?.parentSpanContext?.spanId;
    expect(parent(http)).toBe(client.spanContext().spanId);
    expect(parent(handler)).toBe(http!.spanContext().spanId);
    expect(parent(callback)).toBe(handler!.spanContext().spanId);
    expect(parent(signaling)).toBe(callback!.spanContext().spanId);
    expect(signaling!.attributes).toMatchObject({ 'cloudevents.event_source': 'meeting-service', 'messaging.destination.name': 'meeting_events' });
  });
});
