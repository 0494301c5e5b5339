import request from 'supertest';
import { SignalingClient } from '@meeting/contracts';
import { promtool, RedisServerHandle, spawnRedis, waitFor } from '@meeting/queue/testing';
import { platformServices } from './services';
import { InProcessPlatform, startInProcessPlatform } from './testing/in-process-platform';

describe('platform: the four services together on one Redis (e2e)', () => {
  let server: RedisServerHandle;
  let platform: InProcessPlatform;
  let apps: InProcessPlatform['apps'];

  beforeAll(async () => {
    server = await spawnRedis();
    platform = await startInProcessPlatform(server.url);
    apps = platform.apps;
  });

  afterAll(async () => {
    await platform?.close();
    await server?.cleanup();
  });

  it('a meeting flows through every service: presence, AI context, transcript, emotion, recording', async () => {
    const meeting = request(apps.meeting.getHttpServer());
    const { meetingId } = (await meeting.post('/meetings').send({ title: 'retro', hostId: 'alice' }).expect(201)).body;
    const { token } = (await meeting.post(`/meetings/${meetingId}/participants`).send({ name: 'Bob', participantId: 'bob' }).expect(201)).body;
    const bob = await SignalingClient.connect(platform.urls.signaling, token);

    await waitFor(
      async () => (await request(apps.signaling.getHttpServer()).get(`/presence/${meetingId}`)).body.participants?.length === 1,
      'presence in the signaling-service',
    );
    await waitFor(
      async () => (await request(apps.ai.getHttpServer()).get(`/meetings/${meetingId}/context`)).body.participants?.includes('bob'),
      'the meeting in the ai-service',
    );

    await meeting.post(`/meetings/${meetingId}/transcripts`).send({ audio: 'text:ship it', participantId: 'bob' }).expect(202);
    const [transcript] = await waitFor(async () => {
      const list = (await meeting.get(`/meetings/${meetingId}/transcripts`)).body;
      return list[0]?.state === 'completed' && list;
    }, 'the transcript from the ai-service');
    expect(transcript).toMatchObject({ participantId: 'bob', text: 'ship it', words: 2 });
    expect((await meeting.post(`/meetings/${meetingId}/emotions`).send({ sample: 'frame-1' }).expect(200)).body).toMatchObject({
      meetingId,
      model: 'emotion-net-sim',
    });

    await meeting.post(`/meetings/${meetingId}/end`).expect(200);
    await waitFor(async () => (await request(apps.media.getHttpServer()).get(`/recordings/rec-${meetingId}`)).status === 200, 'the recording');
    const context = await waitFor(async () => {
      const body = (await request(apps.ai.getHttpServer()).get(`/meetings/${meetingId}/context`)).body;
      return body.recordings?.length === 1 && body;
    }, 'recording.processed at the ai-service');
    expect(context).toMatchObject({ state: 'ended', recordings: [`rec-${meetingId}`] });
    expect(await bob.closed).toEqual({ code: 4000, reason: 'meeting_ended' });
    expect((await request(apps.signaling.getHttpServer()).get(`/presence/${meetingId}`)).body).toMatchObject({ state: 'ended', participants: [] });
  });

  it("the meeting-service serves the queue dashboard of the whole platform: every service's queues, their workers, stream groups", async () => {
    const http = request(apps.meeting.getHttpServer());
    await http.get('/queues').expect(301).expect('location', '/queues/');
    expect((await http.get('/queues/').expect(200)).text).toContain('<script src="app.js"></script>');
    const overview = await waitFor(async () => {
      const body = (await http.get('/queues/api/overview').expect(200)).body as { queues: Array<{ name: string; workers: number }> };
      const names = body.queues.map((q) => q.name);
      return (
        ['ai_tasks', 'media_tasks'].every((n) => names.includes(n)) &&
        body.queues.every((q) => !['ai_tasks', 'media_tasks'].includes(q.name) || q.workers >= 1) &&
        body
      );
    }, 'the ai and media queues with their workers');
    expect(overview.queues.find((q) => q.name === 'ai_tasks')).toMatchObject({
      workers: 1,
      latency: expect.objectContaining({ oldestWaitingMs: expect.any(Object) }),
    });
    const groups = (await http.get('/queues/api/groups').expect(200)).body as { groups: Array<{ channel: string; group: string }> };
    expect(groups.groups.map((g) => g.channel)).toEqual(expect.arrayContaining(['meeting_events']));
    expect((await http.get('/queues/api/session').expect(200)).body).toEqual({ admin: false, tokenConfigured: false });
    await http.post('/queues/api/queues/ai_tasks/pause').expect(403);
  });

  it('every service serves health and a valid Prometheus exposition (promtool check metrics)', async () => {
    for (const [name, app] of Object.entries(apps)) {
      const http = app.getHttpServer();
      expect([name, (await request(http).get('/health/ready')).status]).toEqual([name, 200]);
      const metrics = (await request(http).get('/metrics').expect(200)).text;
      expect(metrics).toContain('mq_redis_connection_up{connection="commands-0"} 1');
      expect([name, promtool(['check', 'metrics'], { input: metrics })]).toEqual([name, '']);
    }
  });

  it('the launcher gives each service its own port and overlay', () => {
    expect(platformServices({}).map((s) => `${s.name}:${s.port}:${s.configFile}`)).toEqual([
      'ai-service:3001:apps/ai-service/config.yaml',
      'meeting-service:3002:apps/meeting-service/config.yaml',
      'media-service:3003:apps/media-service/config.yaml',
      'signaling-service:3004:apps/signaling-service/config.yaml',
    ]);
    expect(platformServices({ PLATFORM_BASE_PORT: '4000' }).map((s) => s.port)).toEqual([4000, 4001, 4002, 4003]);
    expect(() => platformServices({ PLATFORM_BASE_PORT: 'x' })).toThrow('PLATFORM_BASE_PORT must be an integer port');
  });
});
