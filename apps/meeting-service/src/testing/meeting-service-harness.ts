/**
 * What meeting-service.e2e.spec.ts starts: replicas of the meeting-service as main.ts runs them, and a
 * peer that stands in for the ai-, media- and signaling-services (tests only).
 */
import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { EventEnvelope, NonRetryableError, QueueManager } from '@meeting/queue';
import { AppModule } from '../app.module';
import { configureApp } from '../http';
import { loadServiceConfig } from '../service-config';

/** Starts a replica of the meeting-service on the Redis at `redisUrl` (HTTP conventions, no rate limits), listening on a free loopback port. */
export async function startMeetingServiceReplica(redisUrl: string, tokenSecret: string): Promise<INestApplication> {
  const env = { ...process.env, REDIS_URL: redisUrl, QUEUE_TYPE: 'redis', EVENT_BUS_TYPE: 'redis_stream', CONFIG_FILE: '' };
  const config = loadServiceConfig(env);
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.register({ config, meetings: { tokenSecret, developmentSecret: false }, drainTimeoutMs: 2000, rateLimit: false })],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  configureApp(app, config);
  // Listening once: supertest would otherwise listen on a new ephemeral port per request and close it after,
  // and a kept-alive socket to a closed server whose port was just reused answers ECONNRESET.
  await app.listen(0, '127.0.0.1');
  return app;
}

/** What the peer saw and how it misbehaves, owned by the spec. */
export interface PeerRecord {
  /** Every event of meeting_events. */
  events: Array<EventEnvelope<Record<string, unknown>>>;
  /** The payload of every recording_process task, and its priority. */
  recordings: Array<{ meetingId: string; participants: string[] }>;
  recordingPriorities: string[];
  /** Meetings whose analysis goes wrong in the peer: which part breaks its contract (the other part's task fails). */
  brokenAnalyses: Map<string, 'transcription' | 'emotion'>;
}

/** Stands in for the ai-, media- and signaling-services: handles their task types, listens to meeting_events. */
export async function startPeerStandIn(redisUrl: string, { events, recordings, recordingPriorities, brokenAnalyses }: PeerRecord): Promise<QueueManager> {
  const peer = await QueueManager.create(
    {
      service_name: 'peer',
      redis: { url: redisUrl },
      event_bus: { type: 'redis_stream' },
      task_scheduler: { enabled: false },
      message_queue: { queue_name: 'ai_tasks', queues: { media_tasks: {} } },
      metrics: { enabled: false },
    },
    { env: {} },
  );
  peer.registerTaskHandler('speech_recognition', (p: { meetingId: string; participantId?: string; audio: string }) => {
    if (p.audio === 'corrupt') throw new NonRetryableError('cannot decode the audio');
    const broken = p.audio.startsWith('recording:') && brokenAnalyses.get(p.meetingId);
    if (broken === 'transcription') return { meetingId: p.meetingId, text: 42 };
    if (broken === 'emotion') throw new NonRetryableError('speech model crashed');
    const words = p.audio.startsWith('recording:') ? 5 : 2;
    return { meetingId: p.meetingId, participantId: p.participantId, text: `heard ${p.audio}`, words, confidence: 0.9, language: 'en', model: 'test' };
  });
  peer.registerTaskHandler('emotion_detection', (p: { meetingId: string; sample: string }) => {
    if (p.sample === 'broken') throw new NonRetryableError('unreadable frame');
    const broken = p.sample.startsWith('recording:') && brokenAnalyses.get(p.meetingId);
    if (broken === 'emotion') return { meetingId: p.meetingId, emotion: 'focused', confidence: 'high' };
    if (broken === 'transcription') throw new NonRetryableError('emotion model crashed');
    return { meetingId: p.meetingId, emotion: p.sample.startsWith('recording:') ? 'focused' : 'happy', confidence: 0.8, model: 'test' };
  });
  peer.registerTaskHandler(
    'recording_process',
    (p: { meetingId: string; durationMs: number; participants: string[] }, ctx) => {
      recordings.push(p);
      recordingPriorities.push(ctx.message.priority);
      const createdAt = new Date().toISOString();
      return {
        recordingId: `rec-${p.meetingId}`,
        meetingId: p.meetingId,
        format: 'mp4',
        durationMs: p.durationMs,
        sizeBytes: 1024,
        participants: p.participants,
        createdAt,
        renditions: {},
      };
    },
    { queue: 'media_tasks' },
  );
  peer.subscribe('meeting_events', (e: EventEnvelope<Record<string, unknown>>) => void events.push(e));
  await peer.start();
  return peer;
}
