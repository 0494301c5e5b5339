import { execFileSync } from 'child_process';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { EventEnvelope, QueueManager, RemoteTaskError } from '@meeting/queue';
import { RedisServerHandle, metricSample, spawnRedis, waitFor } from '@meeting/queue/testing';
import { startAiService, startMeetingServiceStandIn } from './testing/ai-service-harness';

const AI_TYPES = ['speech_recognition', 'emotion_detection', 'audio_denoising', 'video_enhancement'];

describe('ai-service (e2e, Redis)', () => {
  let server: RedisServerHandle;
  let app: INestApplication;
  let caller: QueueManager;
  const mediaEvents: string[] = [];

  beforeAll(async () => {
    server = await spawnRedis();
    app = await startAiService(server.url);
    // Stands in for the meeting- and media-services: dispatches AI tasks and publishes their events.
    caller = await startMeetingServiceStandIn(server.url, AI_TYPES, 0);
    caller.subscribe('media_events', (e: EventEnvelope) => void mediaEvents.push(e.type));
  });

  afterAll(async () => {
    await app?.close();
    await caller?.shutdown({ drainTimeoutMs: 1000 });
    await server?.cleanup();
  });

  it('answers the four AI task types dispatched by another service, deterministically', async () => {
    const d = caller.dispatcher;
    const speech = await d.dispatchAndWait('speech_recognition', { meetingId: 'm1', participantId: 'p1', audio: 'text:hello world' }, { timeoutMs: 5000 });
    expect(speech).toMatchObject({ meetingId: 'm1', participantId: 'p1', text: 'hello world', words: 2, model: 'whisper-sim', language: 'en' });
    const clip = { meetingId: 'm1', audio: 'clip-7', durationMs: 2000 };
    expect(await d.dispatchAndWait('speech_recognition', clip, { timeoutMs: 5000 })).toEqual(
      await d.dispatchAndWait('speech_recognition', clip, { timeoutMs: 5000 }),
    );
    expect(await d.dispatchAndWait('emotion_detection', { meetingId: 'm1', sample: 'frame-1' }, { timeoutMs: 5000 })).toMatchObject({
      meetingId: 'm1',
      emotion: expect.any(String),
      model: 'emotion-net-sim',
    });
    const stored = (await request(app.getHttpServer()).get('/meetings/m1/results').expect(200)).body;
    expect(stored.map((r: { type: string }) => r.type)).toEqual(expect.arrayContaining(['speech_recognition', 'emotion_detection']));
    expect(stored.find((r: { type: string }) => r.type === 'speech_recognition')).toMatchObject({ origin: 'meeting-service', result: { text: 'hello world' } });
    expect(await d.dispatchAndWait('audio_denoising', { audio: 'a.wav', level: 'high' }, { timeoutMs: 5000 })).toMatchObject({
      audio: 'denoised/high/a.wav',
      noiseReductionDb: 20,
    });
    expect(await d.dispatchAndWait('video_enhancement', { video: 'v.mp4' }, { timeoutMs: 5000 })).toMatchObject({
      video: 'enhanced/1080p/v.mp4',
      resolution: '1080p',
    });

    // Each model was loaded on first use, announced on the local bus and seen by the listener.
    const models = await waitFor(async () => {
      const body = (await request(app.getHttpServer()).get('/models').expect(200)).body;
      return body.events.model_loaded === 4 && body;
    }, 'four model_loaded events');
    expect(models.models.map((m: { state: string }) => m.state)).toEqual(['loaded', 'loaded', 'loaded', 'loaded']);
  });

  it('fails a bad payload at once and aborts work past its time limit', async () => {
    const d = caller.dispatcher;
    const bad = (await d.dispatchAndWait('speech_recognition', { meetingId: 'm1' }, { timeoutMs: 5000 }).catch((e: unknown) => e)) as RemoteTaskError;
    expect(bad).toBeInstanceOf(RemoteTaskError);
    expect(bad.name).toBe('ContractError');
    expect(bad.message).toMatch(/^speech_recognition: payload\.audio: /);
    const badLevel = (await d
      .dispatchAndWait('audio_denoising', { audio: 'a', level: 'max' }, { timeoutMs: 5000 })
      .catch((e: unknown) => e)) as RemoteTaskError;
    expect(badLevel.message).toMatch(/^audio_denoising: payload\.level: .*"low"\|"medium"\|"high"/);
    // 50 words take ~270 ms of simulated work; a 30 ms limit fires the AbortSignal.
    const slow = (await d
      .dispatchAndWait('speech_recognition', { meetingId: 'm1', audio: 'long', durationMs: 60_000 }, { timeoutMs: 5000, taskTimeoutMs: 30 })
      .catch((e: unknown) => e)) as RemoteTaskError;
    expect(slow).toBeInstanceOf(RemoteTaskError);
    expect(slow.name).toBe('TaskTimeoutError');
  });

  it('unloads a model over REST (model_unloaded) and answers 404 for an unknown one', async () => {
    const http = app.getHttpServer();
    await request(http).post('/models/rnnoise-sim/load').expect(200);
    expect((await request(http).delete('/models/rnnoise-sim').expect(200)).body).toMatchObject({ name: 'rnnoise-sim', state: 'unloaded', unloaded: true });
    await waitFor(async () => (await request(http).get('/models')).body.events.model_unloaded === 1, 'model_unloaded');
    expect((await request(http).post('/models/gpt-9/load').expect(404)).body.message).toContain('unknown model "gpt-9"');
  });

  it('follows meetings from meeting_events and media_events (data under @meeting/contracts; a breach is dropped), one context for every replica', async () => {
    const http = app.getHttpServer();
    const at = new Date().toISOString();
    await caller.publishEvent('meeting_events', 'meeting.created', { meetingId: 'm2', seq: 1, title: 'standup', hostId: 'h', createdAt: at });
    await caller.publishEvent('meeting_events', 'participant.joined', { meetingId: 'm2', seq: 2, participantId: 'bad', joinedAt: at }); // no name: dropped
    await caller.publishEvent('meeting_events', 'participant.joined', { meetingId: 'm2', seq: 2, participantId: 'ann', name: 'Ann', joinedAt: at });
    await caller.publishEvent('meeting_events', 'participant.left', { meetingId: 'm2', seq: 1, participantId: 'ann' }); // stale: ignored
    await caller.publishEvent('media_events', 'recording.processed', { meetingId: 'm2', recordingId: 'rec-m2', format: 'mp4', durationMs: 10 });
    const context = await waitFor(async () => {
      const res = await request(http).get('/meetings/m2/context');
      return res.status === 200 && res.body.participants.length === 1 && res.body.recordings.length === 1 && res.body;
    }, 'the context of m2');
    expect(context).toMatchObject({ meetingId: 'm2', state: 'active', seq: 2, participants: ['ann'], recordings: ['rec-m2'] });
    await caller.publishEvent('meeting_events', 'meeting.ended', { meetingId: 'm2', seq: 3, endedAt: new Date().toISOString(), durationMs: 5 });
    await waitFor(async () => (await request(http).get('/meetings/m2/context')).body.state === 'ended', 'm2 ended');
    await request(http).get('/meetings/unknown/context').expect(404);
    // the context is in Redis: another replica serves the same one
    const replica = await startAiService(server.url);
    try {
      expect((await request(replica.getHttpServer()).get('/meetings/m2/context').expect(200)).body).toEqual(
        (await request(http).get('/meetings/m2/context').expect(200)).body,
      );
    } finally {
      await replica.close();
    }
  });

  it('serves its OpenAPI description at /docs-json', async () => {
    const doc = (await request(app.getHttpServer()).get('/docs-json').expect(200)).body;
    expect(doc.info.title).toBe('ai-service');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/models', '/models/{name}/load', '/models/{name}', '/meetings/{meetingId}/context']));
    // the 404s are documented (an unknown model, a meeting without context), not only the 200
    expect(Object.keys(doc.paths['/models/{name}/load'].post.responses).sort()).toEqual(['200', '404']);
    expect(Object.keys(doc.paths['/models/{name}'].delete.responses).sort()).toEqual(['200', '404']);
    expect(Object.keys(doc.paths['/meetings/{meetingId}/context'].get.responses).sort()).toEqual(['200', '404']);
  });

  it('serves /health, /health/ready and /metrics with the work done', async () => {
    const http = app.getHttpServer();
    expect((await request(http).get('/health').expect(200)).body.info.queue).toMatchObject({ status: 'up', state: 'running' });
    expect((await request(http).get('/health/ready').expect(200)).body.info.queue).toMatchObject({ manager: { status: 'up' }, redis: { status: 'up' } });
    expect((await request(http).get('/health/queues').expect(200)).body.info.queues['queue:ai_tasks']).toMatchObject({ status: 'up' });
    const metrics = (await request(http).get('/metrics').expect(200)).text;
    expect(metricSample(metrics, 'mq_messages_processed_total', { queue: 'ai_tasks', task_type: 'speech_recognition' })).toBeGreaterThanOrEqual(3);
    expect(
      metricSample(metrics, 'mq_messages_dead_lettered_total', { queue: 'ai_tasks', task_type: 'speech_recognition', outcome: 'failed' }),
    ).toBeGreaterThanOrEqual(2);
    expect(metricSample(metrics, 'mq_events_received_total', { bus: 'redis_stream', channel: 'meeting_events' })).toBeGreaterThanOrEqual(3);
    expect(metricSample(metrics, 'mq_events_received_total', { bus: 'local', channel: 'model_loaded' })).toBeGreaterThanOrEqual(4);
    expect(metricSample(metrics, 'ai_model_loaded', { model: 'whisper-sim' })).toBe(1);
    expect(metricSample(metrics, 'ai_model_loaded', { model: 'rnnoise-sim' })).toBe(0);
  });

  it('measures every answered HTTP request once by method, route pattern and status (http_request_duration_seconds)', async () => {
    const http = app.getHttpServer();
    const count = async (labels: Record<string, string>) =>
      metricSample((await request(http).get('/metrics').expect(200)).text, 'http_request_duration_seconds_count', labels) ?? 0;
    const series = [
      { method: 'POST', route: '/models/:name/load', status: '404' },
      { method: 'GET', route: '/models', status: '200' },
      { method: 'POST', route: 'unmatched', status: '415' },
      { method: 'GET', route: 'unmatched', status: '404' },
    ];
    const before = await Promise.all(series.map(count));
    await request(http).post('/models/no-such-model/load').expect(404);
    await request(http).post('/models/other-unknown/load').expect(404);
    await request(http).get('/models').expect(200);
    // answered before routing (the body parser, no route): counted too, under a fixed route label
    await request(http).post('/models/whisper-sim/load').set('Content-Type', 'text/plain').send('load it').expect(415);
    await request(http).get('/no/such/route/for-metrics').expect(404);
    expect(await Promise.all(series.map(count))).toEqual([before[0] + 2, before[1] + 1, before[2] + 1, before[3] + 1]);
    const text = (await request(http).get('/metrics').expect(200)).text;
    expect(text).not.toMatch(/no-such-model|for-metrics/); // the route pattern, never the URL
    expect(text).toMatch(/^http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/models",status="200"\} \d+$/m);
    expect(execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })).toBe('');
  });
});
