import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { EventEnvelope, QueueManager, RemoteTaskError } from '@meeting/queue';
import { RedisServerHandle, metricSample, promtool, spawnRedis, waitFor } from '@meeting/queue/testing';
import { AppModule } from './app.module';
import { configureApp } from './http';
import { loadServiceConfig } from './service-config';

/**
 * Recordings live 8 s; the cleanup runs every 250 ms. The first test reads its recording for a few
 * seconds (a replica starts in between): on a busy machine 2 s were gone before it was done.
 */
const MEDIA = { cleanupIntervalMs: 250, retentionMs: 8000 };

/** A media-service on the Redis at `redisUrl` as main.ts builds it (no rate limit), initialised; listening when `listen`. */
async function startMediaService(redisUrl: string, listen: boolean): Promise<INestApplication> {
  const env = { ...process.env, REDIS_URL: redisUrl, QUEUE_TYPE: 'redis', EVENT_BUS_TYPE: 'redis_stream', CONFIG_FILE: '' };
  const config = loadServiceConfig(env);
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.register({ config, media: MEDIA, drainTimeoutMs: 2000, rateLimit: false })],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  configureApp(app, config);
  // listening once: see meeting-service/src/testing/meeting-service-harness.ts (ECONNRESET on per-request ephemeral ports)
  if (listen) await app.listen(0, '127.0.0.1');
  else await app.init();
  return app;
}

describe('media-service (e2e, Redis)', () => {
  let server: RedisServerHandle;
  let app: INestApplication;
  let caller: QueueManager;
  const events: Array<EventEnvelope<Record<string, unknown>>> = [];

  beforeAll(async () => {
    server = await spawnRedis();
    app = await startMediaService(server.url, true);
    // Stands in for the meeting-service (dispatches recording_process) and the ai-service (listens to media_events).
    caller = await QueueManager.create(
      {
        service_name: 'meeting-service',
        redis: { url: server.url },
        event_bus: { type: 'redis_stream' },
        task_scheduler: { enabled: false },
        message_queue: { queue_name: 'meeting_tasks', queues: { media_tasks: {} } },
        metrics: { enabled: false },
        task_dispatcher: { routes: { recording_process: { queue: 'media_tasks', max_retries: 0 }, transcode: { queue: 'media_tasks' } } },
      },
      { env: {} },
    );
    caller.subscribe('media_events', (e: EventEnvelope<Record<string, unknown>>) => void events.push(e));
    await caller.start();
  });

  afterAll(async () => {
    await app?.close();
    await caller?.shutdown({ drainTimeoutMs: 1000 });
    await server?.cleanup();
  });

  it('processes a recording dispatched by the meeting-service, transcodes it on request, publishes media_events', async () => {
    const http = app.getHttpServer();
    const recording = await caller.dispatcher.dispatchAndWait<{ recordingId: string }>(
      'recording_process',
      { meetingId: 'm1', durationMs: 60_000, participants: ['ann', 'bob'] },
      { timeoutMs: 5000 },
    );
    expect(recording).toMatchObject({ recordingId: 'rec-m1', meetingId: 'm1', format: 'mp4', participants: ['ann', 'bob'] });
    expect((await request(http).get('/recordings?meetingId=m1').expect(200)).body).toHaveLength(1);
    // the query is checked like a body: a repeated, empty or ill-formed meetingId, or another key, is 400 naming it (an empty list before)
    for (const [query, message] of [
      ['meetingId=m1&meetingId=m2', 'meetingId must be given once, as a string'],
      ['meetingId=', 'meetingId must be 1..64 characters from [A-Za-z0-9_.-]'],
      ['meetingId[x]=m1', 'property meetingId[x] should not exist'],
      ['meeting=m1', 'property meeting should not exist'],
    ]) {
      expect((await request(http).get(`/recordings?${query}`).expect(400)).body.message).toContain(message);
    }

    const bad = (await caller.dispatcher
      .dispatchAndWait('recording_process', { durationMs: 5 }, { timeoutMs: 5000 })
      .catch((e: unknown) => e)) as RemoteTaskError;
    expect(bad).toBeInstanceOf(RemoteTaskError);
    expect(bad.message).toMatch(/^recording_process: payload\.meetingId: /);

    // a transcode reports its progress to a caller that asks for it (throttled: the last report, 100 %, always arrives)
    const reports: Array<{ percent: number }> = [];
    await expect(
      caller.dispatcher.dispatchAndWait(
        'transcode',
        { recordingId: 'rec-m1', format: 'webm' },
        { timeoutMs: 5000, onProgress: (p) => void reports.push(p.progress as { percent: number }) },
      ),
    ).resolves.toMatchObject({ recordingId: 'rec-m1', format: 'webm' });
    expect(reports.length).toBeGreaterThan(0);
    expect(reports[reports.length - 1]).toEqual({ percent: 100, stage: 'encode' });
    expect(reports.map((r) => r.percent)).toEqual([...reports.map((r) => r.percent)].sort((a, b) => a - b));

    // a second replica on the same Redis serves the same recordings (state in Redis)
    const replica = await startMediaService(server.url, false);
    try {
      expect((await request(replica.getHttpServer()).get('/recordings/rec-m1').expect(200)).body).toMatchObject({
        meetingId: 'm1',
        participants: ['ann', 'bob'],
      });
      const viaReplica = (await request(replica.getHttpServer()).post('/recordings/rec-m1/transcodes').send({ format: 'mp3' }).expect(202)).body;
      await waitFor(async () => (await request(http).get('/recordings/rec-m1')).body.renditions?.mp3, 'the rendition made through the replica');
      expect(viaReplica.taskId).toEqual(expect.any(String));
    } finally {
      await replica.close();
    }

    expect((await request(http).post('/recordings/rec-m1/transcodes').send({ format: 'avi' }).expect(400)).body.message).toEqual([
      'format must be one of mp4, webm, mp3',
    ]);
    await request(http).post('/recordings/rec-m1/transcodes').type('form').send('format=webm').expect(415);
    await request(http).post('/recordings/rec-m1/transcodes').send({ format: 'webm', codec: 'vp9' }).expect(400);
    await request(http).post('/recordings/rec-m1/transcodes').send({ format: 'webm', resolution: '8k' }).expect(400);
    // a body nested 3000 levels deep is refused before validation (class-transformer overflowed the stack: 500)
    const deep = `{"format":"webm","a":${'{"a":'.repeat(3000)}{}${'}'.repeat(3000)}}`;
    expect((await request(http).post('/recordings/rec-m1/transcodes').set('Content-Type', 'application/json').send(deep).expect(400)).body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'the request body is nested too deeply: more than 64 levels of objects and arrays',
    });
    await request(http).post('/recordings/rec-nope/transcodes').send({ format: 'webm' }).expect(404);
    const { taskId } = (await request(http).post('/recordings/rec-m1/transcodes').send({ format: 'webm', resolution: '1080p' }).expect(202)).body;
    const status = await waitFor(async () => {
      const body = (await request(http).get(`/tasks/${taskId}`).expect(200)).body;
      return body.state === 'completed' && body;
    }, 'the transcode task');
    expect(status.result).toMatchObject({ recordingId: 'rec-m1', format: 'webm', resolution: '1080p' });
    expect(status.finishedAt).toEqual(new Date(status.finishedAt).toISOString());
    const doc = (await request(http).get('/docs-json').expect(200)).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/recordings', '/recordings/{recordingId}', '/recordings/{recordingId}/transcodes', '/tasks/{taskId}']),
    );
    expect(Object.keys(doc.paths['/recordings/{recordingId}'].get.responses).sort()).toEqual(['200', '404']);
    expect(Object.keys(doc.paths['/tasks/{taskId}'].get.responses).sort()).toEqual(['200', '400', '404']);
    expect(Object.keys(doc.paths['/recordings'].get.responses).sort()).toEqual(['200', '400']);
    expect(doc.paths['/recordings'].get.parameters).toEqual([expect.objectContaining({ name: 'meetingId', in: 'query', required: false })]);
    expect((await request(http).get('/recordings/rec-m1').expect(200)).body.renditions.webm).toMatchObject({ resolution: '1080p' });

    await waitFor(() => events.some((e) => e.type === 'media.transcoded'), 'media.transcoded');
    expect(events.find((e) => e.type === 'recording.processed')).toMatchObject({ source: 'media-service', data: { meetingId: 'm1', recordingId: 'rec-m1' } });
  });

  it('removes old recordings with the recurring cleanup task from the scheduler', async () => {
    const http = app.getHttpServer();
    expect(await app.get(QueueManager).scheduler.list()).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'recurring:media-cleanup' })]));
    await caller.dispatcher.dispatchAndWait('recording_process', { meetingId: 'm2' }, { timeoutMs: 5000 });
    await request(http).get('/recordings/rec-m2').expect(200);
    const cleanup = await waitFor(
      () => events.find((e) => e.type === 'media.cleanup_completed' && (e.data.removed as string[]).includes('rec-m2')),
      'the cleanup of rec-m2',
      MEDIA.retentionMs + 20_000,
    );
    expect(cleanup.source).toBe('media-service');
    await request(http).get('/recordings/rec-m2').expect(404);
    const metrics = (await request(http).get('/metrics').expect(200)).text;
    expect(metricSample(metrics, 'mq_messages_processed_total', { queue: 'media_tasks', task_type: 'media_cleanup' })).toBeGreaterThanOrEqual(2);
    expect(metricSample(metrics, 'mq_messages_processed_total', { queue: 'media_tasks', task_type: 'recording_process' })).toBe(2);
    expect(metricSample(metrics, 'mq_events_published_total', { bus: 'redis_stream', channel: 'media_events' })).toBeGreaterThanOrEqual(3);
    expect(metrics).toMatch(/^media_recordings \d+$/m);
  }, 60_000);

  it('answers /metrics within the read bound while Redis is down (mq_redis_connection_up 0, media_recordings left out), media_recordings back with Redis', async () => {
    const own = await spawnRedis();
    const media = await startMediaService(own.url, true);
    try {
      const http = media.getHttpServer();
      /** One scrape; a scrape that hangs fails the test here rather than at the test timeout. */
      const scrape = async () => (await request(http).get('/metrics').timeout(10_000).expect(200)).text;
      expect(metricSample(await scrape(), 'media_recordings')).toBe(0);
      await own.kill();
      const down = await waitFor(async () => {
        const text = await scrape();
        return metricSample(text, 'mq_redis_connection_up', { connection: 'commands-0' }) === 0 && text;
      }, 'a scrape that sees Redis down');
      expect(down).toContain('# TYPE media_recordings gauge');
      expect(metricSample(down, 'media_recordings')).toBeUndefined();
      promtool(['check', 'metrics'], { input: down });
      await own.restart();
      await waitFor(async () => metricSample(await scrape(), 'media_recordings') === 0, 'media_recordings back with Redis');
    } finally {
      await media.close();
      await own.cleanup();
    }
  }, 60_000);
});
