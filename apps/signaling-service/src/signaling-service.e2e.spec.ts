import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { SignalingClient, SignalingConnectError, signJoinToken, type ServerFrame } from '@meeting/contracts';
import { EventEnvelope, QueueManager } from '@meeting/queue';
import { RedisServerHandle, metricSample, spawnRedis, waitFor } from '@meeting/queue/testing';
import { AppModule, configureSignalingApp } from './app.module';
import { configureApp } from './http';
import { PRESENCE_REPOSITORY, PresenceRepository } from './presence/presence-repository';
import { loadServiceConfig } from './service-config';

const SECRET = 'test-secret-of-the-signaling-spec';

describe('signaling-service (e2e, Redis, two instances)', () => {
  let server: RedisServerHandle;
  const apps: INestApplication[] = [];
  const urls: string[] = [];
  let meetings: QueueManager;
  const signals: Array<EventEnvelope<Record<string, unknown>>> = [];
  const clients: SignalingClient[] = [];

  const token = (meetingId: string, participantId: string, ttlMs = 60_000, secret = SECRET) =>
    signJoinToken({ meetingId, participantId, name: participantId.toUpperCase(), expiresAt: Date.now() + ttlMs }, secret);
  const connect = async (instance: number, meetingId: string, participantId: string) => {
    const client = await SignalingClient.connect(urls[instance], token(meetingId, participantId));
    clients.push(client);
    return client;
  };
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => (error instanceof SignalingConnectError ? { close: error.close, frame: error.frame } : error),
    );

  /** One signaling-service instance as main.ts builds it (HTTP conventions, ws adapter), listening on a free port; no rate limit. */
  const startInstance = async (env: NodeJS.ProcessEnv, sweepIntervalMs?: number) => {
    const config = loadServiceConfig(env);
    const signaling = { tokenSecret: SECRET, developmentSecret: false, sweepIntervalMs };
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.register({ config, signaling, drainTimeoutMs: 2000, rateLimit: false })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    configureApp(app, config);
    configureSignalingApp(app);
    await app.listen(0);
    return app;
  };

  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    server = await spawnRedis();
    env = { ...process.env, REDIS_URL: server.url, QUEUE_TYPE: 'redis', EVENT_BUS_TYPE: 'redis_stream', CONFIG_FILE: '' };
    for (let i = 0; i < 2; i++) apps.push(await startInstance(env));
    for (const app of apps) urls.push(await app.getUrl());
    // Stands in for the meeting-service: publishes meeting_events, reads signaling_events.
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
    await Promise.all(clients.map((c) => c.close()));
    for (const app of apps) await app.close();
    await meetings?.shutdown({ drainTimeoutMs: 1000 });
    await server?.cleanup();
  });

  it('relays offers, answers and ICE candidates between participants on different instances; peers hear joins, mutes and leaves', async () => {
    const ann = await connect(0, 'm1', 'ann');
    expect(ann.welcome).toMatchObject({ meetingId: 'm1', participantId: 'ann', peers: [] });
    const bob = await connect(1, 'm1', 'bob');
    expect(bob.welcome.peers).toEqual([{ participantId: 'ann', name: 'ANN', muted: false }]);
    await ann.next((f) => f.type === 'peer.joined' && f.participantId === 'bob');
    const cy = await connect(0, 'm1', 'cy');
    expect(cy.welcome.peers.map((p) => p.participantId).sort()).toEqual(['ann', 'bob']);
    await bob.next((f) => f.type === 'peer.joined' && f.participantId === 'cy');

    ann.send({ type: 'offer', to: 'bob', sdp: 'v=0 offer ann->bob' });
    ann.send({ type: 'ice', to: 'bob', candidate: { candidate: 'candidate:1 1 udp 2122260223 10.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 } });
    const offer = await bob.next((f) => f.type === 'offer');
    expect(offer).toEqual({ type: 'offer', from: 'ann', sdp: 'v=0 offer ann->bob' });
    const ice = await bob.next((f) => f.type === 'ice');
    expect(ice).toMatchObject({ from: 'ann', candidate: { sdpMid: '0', sdpMLineIndex: 0 } });
    expect(bob.frames.findIndex((f) => f.type === 'offer')).toBeLessThan(bob.frames.findIndex((f) => f.type === 'ice')); // in order
    bob.send({ type: 'answer', to: 'ann', sdp: 'v=0 answer bob->ann' });
    bob.send({ type: 'ice', to: 'cy', candidate: { candidate: 'candidate:2 1 udp 1 10.0.0.2 50001 typ host' } });
    expect(await ann.next((f) => f.type === 'answer')).toEqual({ type: 'answer', from: 'bob', sdp: 'v=0 answer bob->ann' });
    expect(await cy.next((f) => f.type === 'ice')).toMatchObject({ from: 'bob' });
    expect(cy.frames.some((f) => f.type === 'offer' || f.type === 'answer')).toBe(false); // only the named peer gets them

    cy.send({ type: 'mute' });
    await ann.next((f) => f.type === 'peer.muted' && f.participantId === 'cy');
    await bob.next((f) => f.type === 'peer.muted' && f.participantId === 'cy');
    const presence = await waitFor(async () => {
      const body = (await request(apps[1].getHttpServer()).get('/presence/m1').expect(200)).body;
      return body.participants.find((p: { participantId: string; muted: boolean }) => p.participantId === 'cy' && p.muted) && body;
    }, 'cy muted in the shared presence');
    expect(presence.participants.map((p: { participantId: string }) => p.participantId)).toEqual(['ann', 'bob', 'cy']);

    await cy.close();
    await ann.next((f) => f.type === 'peer.left' && f.participantId === 'cy');
    await bob.next((f) => f.type === 'peer.left' && f.participantId === 'cy');
    expect((await request(apps[0].getHttpServer()).get('/presence/m1').expect(200)).body.participants).toHaveLength(2);

    const seen = await waitFor(() => {
      const mine = signals.filter((s) => s.data.meetingId === 'm1');
      return mine.filter((s) => s.type === 'session.closed').length === 1 && mine;
    }, 'session events of m1');
    expect(seen.filter((s) => s.type === 'session.opened').map((s) => s.data.participantId)).toEqual(['ann', 'bob', 'cy']);
    expect(seen.find((s) => s.type === 'session.muted')?.data).toMatchObject({ participantId: 'cy', muted: true });
    expect(seen.find((s) => s.type === 'session.closed')?.data).toMatchObject({ participantId: 'cy', reason: 'left' });

    // a participant removed at the meeting-service (participant.left, reason removed) loses its session
    const dee = await connect(1, 'm1', 'dee');
    await meetings.publishEvent('meeting_events', 'participant.left', { meetingId: 'm1', seq: 8, participantId: 'dee', reason: 'removed' });
    expect(await dee.closed).toEqual({ code: 4000, reason: 'removed' });
    expect(await ann.next((f) => f.type === 'peer.left' && f.participantId === 'dee')).toMatchObject({ reason: 'removed' });

    // meeting.ended (read by one instance) closes the sessions on both
    await meetings.publishEvent('meeting_events', 'meeting.ended', { meetingId: 'm1', seq: 9, endedAt: new Date().toISOString(), durationMs: 1000 });
    expect(await ann.closed).toEqual({ code: 4000, reason: 'meeting_ended' });
    expect(await bob.closed).toEqual({ code: 4000, reason: 'meeting_ended' });
    expect(bob.frames.some((f) => f.type === 'meeting.ended')).toBe(true);
    expect(await refusal(SignalingClient.connect(urls[1], token('m1', 'late')))).toMatchObject({ close: { code: 4410, reason: 'meeting_ended' } });
  });

  it('an instance shutting down ends its sessions: peers on the other instance hear peer.left (shutdown)', async () => {
    const third = await startInstance(env);
    const hal = await connect(0, 'm4', 'hal');
    const gus = await SignalingClient.connect(await third.getUrl(), token('m4', 'gus'));
    await hal.next((f) => f.type === 'peer.joined' && f.participantId === 'gus');
    await third.close();
    expect(await gus.closed).toEqual({ code: 1001, reason: 'shutdown' });
    expect(await hal.next((f) => f.type === 'peer.left')).toEqual({ type: 'peer.left', participantId: 'gus', reason: 'shutdown' });
    await waitFor(
      () => signals.some((s) => s.type === 'session.closed' && s.data.participantId === 'gus' && s.data.reason === 'shutdown'),
      'session.closed of gus',
    );
    expect(
      (await request(apps[0].getHttpServer()).get('/presence/m4').expect(200)).body.participants.map((p: { participantId: string }) => p.participantId),
    ).toEqual(['hal']);
  });

  it('drops the presence of an instance that died without closing its sockets (no heartbeat): peers hear peer.left (lost)', async () => {
    const presence = apps[0].get<PresenceRepository>(PRESENCE_REPOSITORY);
    const ivy = await connect(1, 'm5', 'ivy');
    await presence.put('m5', { participantId: 'zed', sessionId: 's-zed', instance: 'crashed-instance', connectedAt: new Date().toISOString(), muted: false });
    ivy.send({ type: 'offer', to: 'zed', sdp: 'v=0', ref: 'z' });
    expect(await ivy.next((f) => f.type === 'error')).toMatchObject({ code: 'unknown_peer', ref: 'z' });
    expect(await ivy.next((f) => f.type === 'peer.left')).toEqual({ type: 'peer.left', participantId: 'zed', reason: 'lost' });
    await presence.put('m5', { participantId: 'yul', sessionId: 's-yul', instance: 'crashed-instance', connectedAt: new Date().toISOString(), muted: false });
    const joe = await connect(0, 'm5', 'joe');
    expect(joe.welcome.peers.map((p) => p.participantId)).toEqual(['ivy']);
    await waitFor(
      () => signals.some((s) => s.type === 'session.closed' && s.data.participantId === 'yul' && s.data.reason === 'lost'),
      'session.closed of yul',
    );
    await Promise.all([ivy.close(), joe.close()]);
  });

  it('sweeps the presence of a dead instance from meetings nobody looks at (periodic, every sweep interval)', async () => {
    const sweeping = await startInstance(env, 100);
    try {
      const presence = sweeping.get<PresenceRepository>(PRESENCE_REPOSITORY);
      for (const [meetingId, participantId] of [
        ['m-quiet-1', 'una'],
        ['m-quiet-2', 'vic'],
      ])
        await presence.put(meetingId, {
          participantId,
          sessionId: `s-${participantId}`,
          instance: 'crashed-instance',
          connectedAt: new Date().toISOString(),
          muted: false,
        });
      await waitFor(
        () => ['una', 'vic'].every((p) => signals.some((s) => s.type === 'session.closed' && s.data.participantId === p && s.data.reason === 'lost')),
        'session.closed (lost) of una and vic',
      );
      expect(await presence.list('m-quiet-1')).toEqual([]);
      expect(await presence.list('m-quiet-2')).toEqual([]);
    } finally {
      await sweeping.close();
    }
  });

  it('sends welcome first: frames relayed to a session while its admission reads the presence follow the welcome, in order', async () => {
    const ann = await connect(0, 'm-order', 'ann');
    const cy = await connect(1, 'm-order', 'cy');
    const presence = apps[1].get<PresenceRepository>(PRESENCE_REPOSITORY);
    const list = presence.list.bind(presence);
    // bob's admission on instance 1: subscribed to the relay and in the presence, not welcomed yet
    jest.spyOn(presence, 'list').mockImplementationOnce(async (meetingId) => {
      ann.send({ type: 'offer', to: 'bob', sdp: 'v=0 early offer' });
      ann.send({ type: 'mute' });
      await cy.next((f) => f.type === 'peer.muted' && f.participantId === 'ann'); // instance 1 delivers the meeting's relay in order: the offer is through
      return list(meetingId);
    });
    const bob = await connect(1, 'm-order', 'bob');
    await bob.next((f) => f.type === 'peer.muted');
    expect(bob.frames.map((f) => f.type)).toEqual(['welcome', 'offer', 'peer.muted']);
    expect(bob.frames[1]).toEqual({ type: 'offer', from: 'ann', sdp: 'v=0 early offer' });
    await Promise.all([ann, cy, bob].map((c) => c.close())); // instance 1's session count is checked by a later test
  });

  it("refuses a removed participant's tokens issued before the removal (4403 removed); a token issued after it is admitted", async () => {
    const issued = (participantId: string, seq: number) =>
      signJoinToken({ meetingId: 'm-rm', participantId, name: participantId, expiresAt: Date.now() + 60_000, seq }, SECRET);
    const oldToken = issued('eve', 3);
    const eve = await SignalingClient.connect(urls[0], oldToken);
    clients.push(eve);
    await meetings.publishEvent('meeting_events', 'participant.left', { meetingId: 'm-rm', seq: 6, participantId: 'eve', reason: 'removed' });
    expect(await eve.closed).toEqual({ code: 4000, reason: 'removed' });
    for (const url of urls) {
      expect(await refusal(SignalingClient.connect(url, oldToken))).toEqual({
        close: { code: 4403, reason: 'removed' },
        frame: expect.objectContaining({ type: 'error', code: 'removed', message: expect.stringContaining('was removed from meeting "m-rm"') }),
      });
    }
    const readmitted = await SignalingClient.connect(urls[1], issued('eve', 7));
    clients.push(readmitted);
    expect(readmitted.welcome).toMatchObject({ meetingId: 'm-rm', participantId: 'eve' });
    await readmitted.close(); // instance 1's session count is checked by a later test
  });

  it('refuses wrong, expired and foreign tokens at connect; a malformed frame gets an error frame and disturbs no other session', async () => {
    expect(await refusal(SignalingClient.connect(urls[0], 'not-a-token'))).toMatchObject({
      close: { code: 4401, reason: 'token_invalid' },
      frame: { type: 'error', code: 'token_invalid' },
    });
    expect(await refusal(SignalingClient.connect(urls[0], token('m2', 'eve', 60_000, 'another-secret-of-16-chars')))).toMatchObject({
      close: { code: 4401, reason: 'token_invalid' },
    });
    expect(await refusal(SignalingClient.connect(urls[1], token('m2', 'eve', -1)))).toMatchObject({ close: { code: 4401, reason: 'token_expired' } });
    expect(await refusal(SignalingClient.connect(urls[0], token('m2', 'eve'), { meetingId: 'm3' }))).toMatchObject({
      close: { code: 4403, reason: 'wrong_meeting' },
    });

    const dan = await connect(0, 'm2', 'dan');
    const fay = await connect(1, 'm2', 'fay');
    const errors = (from: number) => dan.next<Extract<ServerFrame, { type: 'error' }>>((f) => f.type === 'error', 5000, from);
    let at = dan.frames.length;
    dan.sendRaw('{not json');
    expect(await errors(at)).toMatchObject({ code: 'bad_json' });
    at = dan.frames.length;
    dan.sendRaw(JSON.stringify({ type: 'offer', to: 'fay', ref: 'r1' }));
    expect(await errors(at)).toMatchObject({ code: 'bad_frame', ref: 'r1', message: expect.stringContaining('sdp') });
    at = dan.frames.length;
    dan.sendRaw(JSON.stringify({ type: 'teleport' }));
    expect(await errors(at)).toMatchObject({ code: 'bad_frame' });
    at = dan.frames.length;
    dan.send({ type: 'offer', to: 'ann', sdp: 'x', ref: 'r2' }); // ann is in another meeting
    expect(await errors(at)).toMatchObject({ code: 'unknown_peer', ref: 'r2' });
    at = dan.frames.length;
    dan.sendRaw('x'.repeat(70 * 1024));
    expect(await errors(at)).toMatchObject({ code: 'frame_too_large' });

    // both sessions still work
    dan.send({ type: 'offer', to: 'fay', sdp: 'v=0 after errors' });
    expect(await fay.next((f) => f.type === 'offer')).toEqual({ type: 'offer', from: 'dan', sdp: 'v=0 after errors' });
    dan.send({ type: 'ping', ref: 'p' });
    expect(await dan.next((f) => f.type === 'pong')).toEqual({ type: 'pong', ref: 'p' });
    expect(fay.frames.some((f) => f.type === 'error')).toBe(false);

    // the same participant connecting again replaces its older session without a peer.left
    const dan2 = await connect(1, 'm2', 'dan');
    expect(await dan.closed).toEqual({ code: 4409, reason: 'replaced' });
    await fay.next((f) => f.type === 'peer.joined' && f.participantId === 'dan', 5000, 1);
    dan2.send({ type: 'answer', to: 'fay', sdp: 'v=0 from the new session' });
    expect(await fay.next((f) => f.type === 'answer')).toMatchObject({ from: 'dan' });
    expect(fay.frames.some((f) => f.type === 'peer.left')).toBe(false);

    // fay and the new dan on instance 1 (the sessions closed above are released asynchronously)
    await waitFor(
      async () => metricSample((await request(apps[1].getHttpServer()).get('/metrics').expect(200)).text, 'signaling_sessions') === 2,
      'two sessions on instance 1',
    );
    expect((await request(apps[0].getHttpServer()).get('/health/ready').expect(200)).body.status).toBe('ok');
    const doc = (await request(apps[0].getHttpServer()).get('/docs-json').expect(200)).body;
    expect([doc.info.title, Object.keys(doc.paths)]).toEqual(['signaling-service', expect.arrayContaining(['/presence', '/presence/{meetingId}'])]);
    expect(Object.keys(doc.paths['/presence/{meetingId}'].get.responses).sort()).toEqual(['200', '404']);
  });
});
