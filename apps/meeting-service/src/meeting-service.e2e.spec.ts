import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { EventEnvelope, NonRetryableError, QueueManager } from '@meeting/queue';
import { RedisServerHandle, metricSample, spawnRedis, waitFor } from '@meeting/queue/testing';
import { AppModule } from './app.module';
import { configureApp } from './http';
import { loadServiceConfig } from './service-config';

describe('meeting-service (e2e, Redis)', () => {
  let server: RedisServerHandle;
  let app: INestApplication;
  let peer: QueueManager;
  const events: Array<EventEnvelope<Record<string, unknown>>> = [];
  const recordings: unknown[] = [];

  beforeAll(async () => {
    server = await spawnRedis();
    const env = { ...process.env, REDIS_URL: server.url, QUEUE_TYPE: 'redis', EVENT_BUS_TYPE: 'redis_stream', CONFIG_FILE: '' };
    const config = loadServiceConfig(env);
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.register({ config, drainTimeoutMs: 2000, rateLimit: false })] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    configureApp(app, config);
    await app.init();
    // Stands in for the ai- and media-services: handles their task types and listens to meeting_events.
    peer = await QueueManager.create(
      {
        service_name: 'peer',
        redis: { url: server.url },
        event_bus: { type: 'redis_stream' },
        task_scheduler: { enabled: false },
        message_queue: { queue_name: 'ai_tasks', queues: { media_tasks: {} } },
        metrics: { enabled: false },
      },
      { env: {} },
    );
    peer.registerTaskHandler('speech_recognition', (p: { meetingId: string; participantId?: string; audio: string }) => {
      if (p.audio === 'corrupt') throw new NonRetryableError('cannot decode the audio');
      return { meetingId: p.meetingId, participantId: p.participantId, text: `heard ${p.audio}`, words: 2, confidence: 0.9, language: 'en', model: 'peer' };
    });
    peer.registerTaskHandler('emotion_detection', (p: { meetingId: string; sample: string }) => {
      if (p.sample === 'broken') throw new NonRetryableError('unreadable frame');
      return { meetingId: p.meetingId, emotion: 'happy', confidence: 0.8, model: 'peer' };
    });
    peer.registerTaskHandler('recording_process', (p: unknown) => void recordings.push(p), { queue: 'media_tasks' });
    peer.subscribe('meeting_events', (e: EventEnvelope<Record<string, unknown>>) => void events.push(e));
    await peer.start();
  });

  afterAll(async () => {
    await app?.close();
    await peer?.shutdown({ drainTimeoutMs: 1000 });
    await server?.cleanup();
  });

  it('answers 400 for bad input (the DTOs; more in http-api.e2e.spec.ts), 404 for unknown meetings', async () => {
    const http = app.getHttpServer();
    expect((await request(http).post('/meetings').send({}).expect(400)).body.message).toEqual(expect.arrayContaining(['title must be a string']));
    expect((await request(http).post('/meetings').send({ title: 42 }).expect(400)).body.message).toEqual(expect.arrayContaining(['title must be a string']));
    expect((await request(http).post('/meetings').send([1]).expect(400)).body.message).toBe('the request body must be a JSON object, got an array');
    expect((await request(http).post('/meetings').send({ title: 't', hostId: 'a b' }).expect(400)).body.message).toEqual([
      'hostId must be 1..64 characters from [A-Za-z0-9_.-]',
    ]);
    expect((await request(http).get('/meetings/m-nope').expect(404)).body.message).toBe('meeting "m-nope" not found');
    const { meetingId } = (await request(http).post('/meetings').send({ title: 'checks' }).expect(201)).body;
    await request(http).post(`/meetings/${meetingId}/participants`).send({}).expect(400);
    await request(http).post(`/meetings/${meetingId}/transcripts`).send({ audio: 'x', durationMs: -5 }).expect(400);
    await request(http).post(`/meetings/${meetingId}/emotions`).send({ sample: '' }).expect(400);
    await request(http).delete(`/meetings/${meetingId}/participants/ghost`).expect(404);
    await request(http).get('/tasks/unknown-task').expect(404);
    await request(http).get('/tasks/not%20an%20id').expect(400);
  });

  it('runs a meeting: events with seq, transcripts through onCompleted, emotion by request/reply, recording on end', async () => {
    const http = app.getHttpServer();
    const meeting = (await request(http).post('/meetings').send({ title: 'standup', hostId: 'alice' }).expect(201)).body;
    const id = meeting.meetingId as string;
    expect(meeting).toMatchObject({ title: 'standup', hostId: 'alice', state: 'active', seq: 1 });
    expect((await request(http).post(`/meetings/${id}/participants`).send({ name: 'Bob', participantId: 'bob' }).expect(201)).body).toMatchObject({
      participantId: 'bob',
      name: 'Bob',
    });
    await request(http).post(`/meetings/${id}/participants`).send({ name: 'Bob', participantId: 'bob' }).expect(201); // idempotent
    await request(http).post(`/meetings/${id}/participants`).send({ name: 'Cy', participantId: 'cy' }).expect(201);
    await request(http).delete(`/meetings/${id}/participants/cy`).expect(204);

    const pending = (await request(http).post(`/meetings/${id}/transcripts`).send({ audio: 'clip-1', participantId: 'bob' }).expect(202)).body;
    expect(pending).toMatchObject({ state: 'pending', participantId: 'bob', taskId: expect.any(String) });
    const transcripts = await waitFor(async () => {
      const list = (await request(http).get(`/meetings/${id}/transcripts`).expect(200)).body;
      return list[0]?.state === 'completed' && list;
    }, 'the transcript');
    expect(transcripts[0]).toMatchObject({ taskId: pending.taskId, text: 'heard clip-1', words: 2 });
    expect((await request(http).get(`/tasks/${pending.taskId}`).expect(200)).body).toMatchObject({
      state: 'completed',
      type: 'speech_recognition',
      queue: 'ai_tasks',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      finishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
    });

    const failed = (await request(http).post(`/meetings/${id}/transcripts`).send({ audio: 'corrupt' }).expect(202)).body;
    await waitFor(
      async () =>
        (await request(http).get(`/meetings/${id}/transcripts`)).body.find(
          (t: { taskId: string; state: string }) => t.taskId === failed.taskId && t.state === 'failed' && t,
        ),
      'the failed transcript',
    );

    expect((await request(http).post(`/meetings/${id}/emotions`).send({ sample: 'frame-9', participantId: 'bob' }).expect(200)).body).toEqual({
      meetingId: id,
      emotion: 'happy',
      confidence: 0.8,
      model: 'peer',
    });
    expect((await request(http).post(`/meetings/${id}/emotions`).send({ sample: 'broken' }).expect(502)).body.message).toContain('unreadable frame');

    const ended = (await request(http).post(`/meetings/${id}/end`).expect(200)).body;
    expect(ended).toMatchObject({ state: 'ended', participants: [], recordingTaskId: expect.any(String) });
    await request(http).post(`/meetings/${id}/end`).expect(409);
    await request(http).post(`/meetings/${id}/participants`).send({ name: 'Late' }).expect(409);
    await waitFor(() => recordings.length === 1, 'recording_process at the media queue');
    expect(recordings[0]).toMatchObject({ meetingId: id, participants: ['bob'] });

    const seen = await waitFor(() => {
      const mine = events.filter((e) => e.data.meetingId === id);
      return mine.length >= 6 && mine.some((e) => e.type === 'meeting.ended') && mine;
    }, 'meeting_events of the meeting');
    // every event of the meeting, transcript.recorded included, has its own seq: 1..6 without gaps or repeats
    expect(seen.map((e) => e.data.seq as number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    const lifecycle = seen.filter((e) => e.type !== 'transcript.recorded').sort((a, b) => (a.data.seq as number) - (b.data.seq as number));
    expect(lifecycle.map((e) => e.type)).toEqual(['meeting.created', 'participant.joined', 'participant.joined', 'participant.left', 'meeting.ended']);
    expect(lifecycle.slice(0, 4).map((e) => e.data.seq)).toEqual([1, 2, 3, 4]);
    expect(seen.every((e) => e.source === 'meeting-service')).toBe(true);

    const metrics = (await request(http).get('/metrics').expect(200)).text;
    expect(metricSample(metrics, 'mq_messages_published_total', { queue: 'ai_tasks', task_type: 'speech_recognition' })).toBe(2);
    expect(metricSample(metrics, 'mq_messages_published_total', { queue: 'media_tasks', task_type: 'recording_process' })).toBe(1);
    expect(metricSample(metrics, 'mq_events_published_total', { bus: 'redis_stream', channel: 'meeting_events' })).toBeGreaterThanOrEqual(6);
    expect(metricSample(metrics, 'meeting_meetings', { state: 'ended' })).toBe(1);
    expect(metricSample(metrics, 'meeting_transcripts', { state: 'completed' })).toBe(1);
    expect(metricSample(metrics, 'meeting_transcripts', { state: 'failed' })).toBe(1);
    expect((await request(http).get('/health/ready').expect(200)).body.info.queue).toMatchObject({ redis: { status: 'up' } });
  });
});
