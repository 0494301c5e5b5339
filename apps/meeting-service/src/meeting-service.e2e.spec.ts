/**
 * The meeting-service end to end on a throwaway Redis: two replicas sharing one state, a peer standing in
 * for the ai-, media- and signaling-services (testing/meeting-service-harness.ts), bad input, a meeting
 * from creation to its analysis, failed analyses, a replica restart, and the scheduled end and reminder.
 */
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { verifyJoinToken } from '@meeting/contracts';
import { EventEnvelope, QueueManager } from '@meeting/queue';
import { RedisServerHandle, metricSample, spawnRedis, waitFor } from '@meeting/queue/testing';
import { startMeetingServiceReplica, startPeerStandIn } from './testing/meeting-service-harness';

const SECRET = 'test-secret-of-the-meeting-spec';

describe('meeting-service (e2e, Redis, replicas)', () => {
  let server: RedisServerHandle;
  let replicas: INestApplication[] = [];
  let peer: QueueManager;
  const events: Array<EventEnvelope<Record<string, unknown>>> = [];
  const recordings: Array<{ meetingId: string; participants: string[] }> = [];
  const recordingPriorities: string[] = [];
  /** Meetings whose analysis goes wrong in the peer: which part breaks its contract (the other part's task fails). */
  const brokenAnalyses = new Map<string, 'transcription' | 'emotion'>();

  const startReplica = () => startMeetingServiceReplica(server.url, SECRET);
  /** Requests alternate between the replicas. */
  let turn = 0;
  const http = () => replicas[turn++ % replicas.length].getHttpServer();
  const ofMeeting = (id: string) => events.filter((e) => e.data.meetingId === id);
  /** Stands in for the signaling-service: a participant's session opened or closed. */
  const session = (type: 'session.opened' | 'session.closed', meetingId: string, participantId: string) =>
    peer.publishEvent('signaling_events', type, {
      meetingId,
      participantId,
      sessionId: `s-${participantId}`,
      ...(type === 'session.opened' ? { instance: 'test' } : { reason: 'left' }),
    });

  beforeAll(async () => {
    server = await spawnRedis();
    replicas = [await startReplica(), await startReplica()];
    peer = await startPeerStandIn(server.url, { events, recordings, recordingPriorities, brokenAnalyses });
  });

  afterAll(async () => {
    for (const app of replicas) await app.close();
    await peer?.shutdown({ drainTimeoutMs: 1000 });
    await server?.cleanup();
  });

  it('answers 400 for bad input (the DTOs; more in http-api.e2e.spec.ts), 404 for unknown meetings', async () => {
    expect((await request(http()).post('/meetings').send({}).expect(400)).body.message).toEqual(expect.arrayContaining(['title must be a string']));
    expect((await request(http()).post('/meetings').send({ title: 42 }).expect(400)).body.message).toEqual(expect.arrayContaining(['title must be a string']));
    expect((await request(http()).post('/meetings').send([1]).expect(400)).body.message).toBe('the request body must be a JSON object, got an array');
    expect((await request(http()).post('/meetings').send({ title: 't', hostId: 'a b' }).expect(400)).body.message).toEqual([
      'hostId must be 1..64 characters from [A-Za-z0-9_.-]',
    ]);
    expect((await request(http()).post('/meetings').send({ title: 't', startsAt: 'soon' }).expect(400)).body.message).toEqual([
      'startsAt must be an ISO 8601 time within a year',
    ]);
    expect((await request(http()).post('/meetings').send({ title: 't', maxDurationMs: 0, reminderBeforeMs: -1 }).expect(400)).body.message).toEqual([
      'maxDurationMs must not be less than 1',
      'reminderBeforeMs must not be less than 0',
    ]);
    expect((await request(http()).get('/meetings/m-nope').expect(404)).body.message).toBe('meeting "m-nope" not found');
    const { meetingId } = (await request(http()).post('/meetings').send({ title: 'checks' }).expect(201)).body;
    await request(http()).post(`/meetings/${meetingId}/participants`).send({}).expect(400);
    await request(http()).post(`/meetings/${meetingId}/transcripts`).send({ audio: 'x', durationMs: -5 }).expect(400);
    await request(http()).post(`/meetings/${meetingId}/emotions`).send({ sample: '' }).expect(400);
    await request(http()).delete(`/meetings/${meetingId}/participants/ghost`).expect(404);
    await request(http()).get('/tasks/unknown-task').expect(404);
    await request(http()).get('/tasks/not%20an%20id').expect(400);
  });

  it("signs the meeting's seq into join tokens: admitting again without a change keeps it, a re-admission after a removal gets a newer one", async () => {
    const id = (await request(http()).post('/meetings').send({ title: 'revocation' }).expect(201)).body.meetingId as string;
    const first = (await request(http()).post(`/meetings/${id}/participants`).send({ name: 'Eve', participantId: 'eve' }).expect(201)).body;
    expect(verifyJoinToken(first.token, SECRET)).toMatchObject({ participantId: 'eve', seq: 2 });
    const again = (await request(http()).post(`/meetings/${id}/participants`).send({ name: 'Eve', participantId: 'eve' }).expect(201)).body;
    expect(verifyJoinToken(again.token, SECRET).seq).toBe(2); // the same entry, nothing changed
    await request(http()).delete(`/meetings/${id}/participants/eve`).expect(204);
    const readmitted = (await request(http()).post(`/meetings/${id}/participants`).send({ name: 'Eve', participantId: 'eve' }).expect(201)).body;
    expect(verifyJoinToken(readmitted.token, SECRET).seq).toBe(4);
  });

  it('runs a meeting across two replicas: one state, join tokens, connections from signaling, transcripts, analysis after the end, summary', async () => {
    const meeting = (await request(http()).post('/meetings').send({ title: 'standup', hostId: 'alice' }).expect(201)).body;
    const id = meeting.meetingId as string;
    expect(meeting).toMatchObject({ state: 'active', seq: 1, schedule: { autoEndId: expect.any(String) } });
    const bob = (await request(http()).post(`/meetings/${id}/participants`).send({ name: 'Bob', participantId: 'bob' }).expect(201)).body;
    expect(bob).toMatchObject({ participantId: 'bob', connected: false, signalingPath: '/signaling', token: expect.any(String) });
    expect(verifyJoinToken(bob.token, SECRET)).toMatchObject({ meetingId: id, participantId: 'bob', name: 'Bob' });
    await request(http()).post(`/meetings/${id}/participants`).send({ name: 'Cy', participantId: 'cy' }).expect(201);
    expect((await request(http()).get(`/meetings/${id}`).expect(200)).body.participants.map((p: { participantId: string }) => p.participantId)).toEqual([
      'bob',
      'cy',
    ]);

    await session('session.opened', id, 'bob');
    await session('session.opened', id, 'cy');
    await waitFor(
      async () => (await request(http()).get(`/meetings/${id}`)).body.participants.every((p: { connected: boolean }) => p.connected),
      'both connected',
    );
    await session('session.closed', id, 'cy');
    await waitFor(
      async () =>
        (await request(http()).get(`/meetings/${id}`)).body.participants.find((p: { participantId: string }) => p.participantId === 'cy')?.connected === false,
      'cy gone',
    );

    const pending = (await request(http()).post(`/meetings/${id}/transcripts`).send({ audio: 'clip-1', participantId: 'bob' }).expect(202)).body;
    const transcripts = await waitFor(async () => {
      const list = (await request(http()).get(`/meetings/${id}/transcripts`).expect(200)).body;
      return list[0]?.state === 'completed' && list;
    }, 'the transcript');
    expect(transcripts[0]).toMatchObject({ taskId: pending.taskId, text: 'heard clip-1', words: 2 });
    expect((await request(http()).get(`/tasks/${pending.taskId}`).expect(200)).body).toMatchObject({
      state: 'completed',
      type: 'speech_recognition',
      queue: 'ai_tasks',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      finishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
    });

    const failed = (await request(http()).post(`/meetings/${id}/transcripts`).send({ audio: 'corrupt' }).expect(202)).body;
    await waitFor(
      async () =>
        (await request(http()).get(`/meetings/${id}/transcripts`)).body.some(
          (t: { taskId: string; state: string }) => t.taskId === failed.taskId && t.state === 'failed',
        ),
      'the failed transcript',
    );
    expect((await request(http()).post(`/meetings/${id}/emotions`).send({ sample: 'frame-9', participantId: 'bob' }).expect(200)).body).toEqual({
      meetingId: id,
      emotion: 'happy',
      confidence: 0.8,
      model: 'test',
    });
    await request(http()).post(`/meetings/${id}/emotions`).send({ sample: 'frame-9', participantId: 'ghost' }).expect(404);
    expect((await request(http()).post(`/meetings/${id}/emotions`).send({ sample: 'broken' }).expect(502)).body.message).toContain('unreadable frame');

    const ended = (await request(http()).post(`/meetings/${id}/end`).expect(200)).body;
    expect(ended).toMatchObject({ state: 'ended', endReason: 'requested', recordingTaskId: expect.any(String), analysis: { state: 'recording' } });
    await request(http()).post(`/meetings/${id}/end`).expect(409);
    await request(http()).post(`/meetings/${id}/participants`).send({ name: 'Late' }).expect(409);
    const summary = await waitFor(async () => {
      const body = (await request(http()).get(`/meetings/${id}/summary`).expect(200)).body;
      return body.analysis?.state === 'completed' && body;
    }, 'the analysis');
    expect(summary).toMatchObject({
      state: 'ended',
      endReason: 'requested',
      transcripts: { requested: 2, completed: 1, failed: 1, words: 2 },
      analysis: {
        recording: { recordingId: `rec-${id}` },
        transcript: { text: `heard recording:rec-${id}`, words: 5 },
        emotion: { emotion: 'focused' },
        errors: [],
      },
    });
    expect(recordings.find((r) => r.meetingId === id)).toMatchObject({ participants: ['bob', 'cy'] });
    expect(recordingPriorities).toContain('high');

    const seen = await waitFor(() => ofMeeting(id).some((e) => e.type === 'meeting.analysed') && ofMeeting(id), 'meeting.analysed');
    const seqs = seen.map((e) => e.data.seq as number);
    expect(new Set(seqs).size).toBe(seqs.length); // every event its own seq, transcript.recorded included
    const bySeq = [...seen].sort((a, b) => (a.data.seq as number) - (b.data.seq as number));
    expect(bySeq.filter((e) => e.type !== 'transcript.recorded').map((e) => e.type)).toEqual([
      'meeting.created',
      'participant.joined',
      'participant.joined',
      'participant.left',
      'meeting.ended',
      'meeting.analysed',
    ]);
    expect(seen.every((e) => e.source === 'meeting-service')).toBe(true);
    const metrics = (await request(replicas[0].getHttpServer()).get('/metrics').expect(200)).text;
    expect(metricSample(metrics, 'meeting_meetings', { state: 'ended' })).toBeGreaterThanOrEqual(1);
    expect((await request(replicas[0].getHttpServer()).get('/health/ready').expect(200)).body.info.queue).toMatchObject({ redis: { status: 'up' } });
  });

  it('ends an analysis failed, with the reason per part, when a result breaks its contract or a task fails for good', async () => {
    const meetingOf = async (broken: 'transcription' | 'emotion') => {
      const id = (
        await request(http())
          .post('/meetings')
          .send({ title: `broken ${broken}` })
          .expect(201)
      ).body.meetingId as string;
      brokenAnalyses.set(id, broken);
      await request(http()).post(`/meetings/${id}/end`).expect(200);
      return id;
    };
    const [speechBroken, emotionBroken] = await Promise.all([meetingOf('transcription'), meetingOf('emotion')]);
    const settled = (id: string) =>
      waitFor(async () => {
        const body = (await request(http()).get(`/meetings/${id}/summary`).expect(200)).body;
        return body.analysis?.state !== 'recording' && body.analysis?.state !== 'analysing' && body.analysis;
      }, `the analysis of ${id}`);

    const first = await settled(speechBroken);
    expect(first).toMatchObject({
      state: 'failed',
      recording: { recordingId: `rec-${speechBroken}` },
      transcript: null,
      emotion: null,
      failures: {
        recording: null,
        transcription: expect.stringMatching(/^speech_recognition \S+ answered outside its contract: .*text/),
        emotion: expect.stringMatching(/^emotion_detection \S+ failed after 1 attempt\(s\): emotion model crashed$/),
      },
    });
    expect(first.errors).toHaveLength(2);

    const second = await settled(emotionBroken);
    expect(second).toMatchObject({
      state: 'failed',
      transcript: null,
      emotion: null,
      failures: {
        recording: null,
        transcription: expect.stringMatching(/^speech_recognition \S+ failed after 1 attempt\(s\): .*speech model crashed$/),
        emotion: expect.stringMatching(/^emotion_detection \S+: result breaks its contract: .*confidence/),
      },
    });
    for (const id of [speechBroken, emotionBroken]) {
      const analysed = await waitFor(() => ofMeeting(id).find((e) => e.type === 'meeting.analysed'), `meeting.analysed of ${id}`);
      expect(analysed.data).toMatchObject({ state: 'failed' });
    }
  });

  it('loses nothing when a replica restarts mid-meeting', async () => {
    const id = (await request(replicas[0].getHttpServer()).post('/meetings').send({ title: 'restart' }).expect(201)).body.meetingId as string;
    await request(replicas[0].getHttpServer()).post(`/meetings/${id}/participants`).send({ name: 'Dee', participantId: 'dee' }).expect(201);
    const pending = (await request(replicas[0].getHttpServer()).post(`/meetings/${id}/transcripts`).send({ audio: 'before-restart' }).expect(202)).body;
    for (const app of replicas) await app.close();
    replicas = [await startReplica()];
    const meeting = (await request(http()).get(`/meetings/${id}`).expect(200)).body;
    expect(meeting).toMatchObject({ title: 'restart', state: 'active', participants: [{ participantId: 'dee', name: 'Dee' }] });
    await waitFor(
      async () =>
        (await request(http()).get(`/meetings/${id}/transcripts`)).body.find(
          (t: { taskId: string; state: string }) => t.taskId === pending.taskId && t.state === 'completed',
        ),
      'the transcript dispatched before the restart',
    );
    await request(http()).post(`/meetings/${id}/end`).expect(200);
    await waitFor(async () => (await request(http()).get(`/meetings/${id}/summary`)).body.analysis?.state === 'completed', 'the analysis after the restart');
    replicas.push(await startReplica());
  });

  it('ends a meeting nobody ends after its maximum duration, reminds before a scheduled start, and cancels both when it ends early', async () => {
    const auto = (
      await request(http())
        .post('/meetings')
        .send({ title: 'forgotten', maxDurationMs: 600, startsAt: new Date(Date.now() + 1500).toISOString(), reminderBeforeMs: 1000 }) // the reminder is due 500 ms after the request: still ahead when a busy machine answers
        .expect(201)
    ).body;
    expect(auto.schedule).toMatchObject({ reminderId: expect.any(String), autoEndId: expect.any(String) });
    const ended = await waitFor(
      async () => {
        const body = (await request(http()).get(`/meetings/${auto.meetingId}`)).body;
        return body.state === 'ended' && body.recordingTaskId && body;
      },
      'the automatic end and its recording',
      10_000,
    );
    expect(ended).toMatchObject({ endReason: 'max_duration', recordingTaskId: expect.any(String) });
    const autoEvents = await waitFor(() => ofMeeting(auto.meetingId).some((e) => e.type === 'meeting.ended') && ofMeeting(auto.meetingId), 'meeting.ended');
    expect(autoEvents.map((e) => e.type)).toEqual(expect.arrayContaining(['meeting.created', 'meeting.reminder', 'meeting.ended']));
    expect(autoEvents.find((e) => e.type === 'meeting.ended')?.data.reason).toBe('max_duration');

    const early = (
      await request(http())
        .post('/meetings')
        .send({ title: 'short', maxDurationMs: 60_000, startsAt: new Date(Date.now() + 30_000).toISOString(), reminderBeforeMs: 1000 })
        .expect(201)
    ).body;
    const scheduler = peerScheduler();
    const ids = [early.schedule.reminderId, early.schedule.autoEndId];
    expect((await scheduler()).filter((s) => ids.includes(s))).toHaveLength(2);
    await request(http()).post(`/meetings/${early.meetingId}/end`).expect(200);
    expect((await scheduler()).filter((s) => ids.includes(s))).toHaveLength(0);
  });

  /** The scheduled one-off tasks still pending, read through a replica's scheduler. */
  function peerScheduler() {
    return async () => (await replicas[0].get(QueueManager).scheduler.list()).map((s) => s.id);
  }
});
