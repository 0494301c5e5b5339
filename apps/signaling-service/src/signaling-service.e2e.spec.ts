import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { EventEnvelope, QueueManager } from '@meeting/queue';
import { RedisServerHandle, metricSample, spawnRedis, waitFor } from '@meeting/queue/testing';
import { AppModule } from './app.module';
import { configureApp } from './http';
import { loadServiceConfig } from './service-config';

describe('signaling-service (e2e, Redis)', () => {
  let server: RedisServerHandle;
  let app: INestApplication;
  let meetings: QueueManager;
  const signals: Array<EventEnvelope<Record<string, unknown>>> = [];

  beforeAll(async () => {
    server = await spawnRedis();
    const env = { ...process.env, REDIS_URL: server.url, QUEUE_TYPE: 'redis', EVENT_BUS_TYPE: 'redis_stream', CONFIG_FILE: '' };
    const config = loadServiceConfig(env);
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.register({ config, drainTimeoutMs: 2000, rateLimit: false })] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    configureApp(app, config);
    await app.init();
    // Stands in for the meeting-service (publishes meeting_events) and a signaling gateway (reads signaling_events).
    meetings = await QueueManager.create(
      {
        service_name: 'meeting-service',
        redis: { url: server.url },
        event_bus: { type: 'redis_stream' },
        task_scheduler: { enabled: false },
        message_queue: { queue_name: 'meeting_tasks' },
        metrics: { enabled: false },
      },
      { env: {} },
    );
    meetings.subscribe('signaling_events', (e: EventEnvelope<Record<string, unknown>>) => void signals.push(e));
    await meetings.start();
  });

  afterAll(async () => {
    await app?.close();
    await meetings?.shutdown({ drainTimeoutMs: 1000 });
    await server?.cleanup();
  });

  const publish = (type: string, data: Record<string, unknown>) => meetings.publishEvent('meeting_events', type, { meetingId: 'm1', ...data });

  it('keeps presence from meeting_events, ignores stale ones, announces changes on signaling_events', async () => {
    const http = app.getHttpServer();
    await request(http).get('/presence/m1').expect(404);
    const at = new Date().toISOString();
    await publish('meeting.created', { seq: 1, title: 'standup', hostId: 'host', createdAt: at });
    await publish('participant.joined', { seq: 2, participantId: 'ann', name: 'Ann', joinedAt: at });
    await publish('participant.joined', { seq: 3, participantId: 'bob', name: 'Bob', joinedAt: at });
    await publish('participant.left', { seq: 4, participantId: 'ann' });
    await publish('participant.joined', { seq: 2, participantId: 'ann', name: 'Ann', joinedAt: at }); // a stale redelivery: Ann stays gone
    await publish('transcript.recorded', { seq: 5, taskId: 't1', words: 3 }); // not a presence change
    await publish('participant.joined', { participantId: 'eve', name: 'Eve', joinedAt: at }); // no seq: breaks the contract, dropped

    const room = await waitFor(async () => {
      const res = await request(http).get('/presence/m1');
      return res.status === 200 && res.body.seq === 4 && signals.length >= 4 && res.body;
    }, 'presence of m1');
    expect(room).toMatchObject({ meetingId: 'm1', state: 'open', participants: [{ participantId: 'bob', name: 'Bob' }] });
    expect(signals.map((s) => `${s.type}:${s.data.participantId ?? ''}:${s.data.participants}`)).toEqual(
      expect.arrayContaining(['room.opened::0', 'presence.joined:ann:1', 'presence.left:ann:1']),
    );
    expect(signals.every((s) => s.source === 'signaling-service')).toBe(true);
    const open = (await request(http).get('/metrics').expect(200)).text;
    expect(metricSample(open, 'signaling_rooms', { state: 'open' })).toBe(1);
    expect(open).toContain('signaling_participants_present 1');

    await publish('meeting.ended', { seq: 6, endedAt: new Date().toISOString(), durationMs: 10 });
    await waitFor(async () => (await request(http).get('/presence/m1')).body.state === 'closed', 'm1 closed');
    expect((await request(http).get('/presence/m1')).body.participants).toEqual([]);
    expect((await request(http).get('/presence').expect(200)).body).toEqual([{ meetingId: 'm1', state: 'closed', participants: 0 }]);
    await waitFor(() => signals.some((s) => s.type === 'room.closed'), 'room.closed');

    const metrics = (await request(http).get('/metrics').expect(200)).text;
    expect(metricSample(metrics, 'mq_events_received_total', { bus: 'redis_stream', channel: 'meeting_events' })).toBe(8);
    expect(metricSample(metrics, 'mq_events_published_total', { bus: 'redis_stream', channel: 'signaling_events' })).toBe(5);
    expect((await request(http).get('/health').expect(200)).body.status).toBe('ok');
    expect((await request(http).get('/health/ready').expect(200)).body.status).toBe('ok');
    const doc = (await request(http).get('/docs-json').expect(200)).body;
    expect([doc.info.title, Object.keys(doc.paths)]).toEqual(['signaling-service', expect.arrayContaining(['/presence', '/presence/{meetingId}'])]);
  });
});
