/**
 * The HTTP conventions of the services (issue 14, "Validated, documented HTTP APIs"), through the
 * meeting-service: JSON bodies only, the body limit, DTO validation, unknown participants, OpenAPI at
 * /docs and rate limits shared by two instances on one Redis.
 */
import { INestApplication, LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { RedisServerHandle, spawnRedis } from '@meeting/queue/testing';
import { AppModule } from './app.module';
import { configureApp } from './http';
import { loadServiceConfig } from './service-config';

/** Keeps what the application logs, by level. */
class RecordingLogger implements LoggerService {
  readonly lines: Array<{ level: string; message: string }> = [];
  log = (message: unknown) => void this.lines.push({ level: 'log', message: String(message) });
  warn = (message: unknown) => void this.lines.push({ level: 'warn', message: String(message) });
  error = (message: unknown, ...rest: unknown[]) => void this.lines.push({ level: 'error', message: [message, ...rest].map(String).join(' ') });
  debug = () => undefined;
  verbose = () => undefined;
}

describe('meeting-service HTTP API: validation, OpenAPI, rate limits (e2e, Redis)', () => {
  let server: RedisServerHandle;
  const apps: INestApplication[] = [];
  const logger = new RecordingLogger();

  async function start(rateLimit: { limit: number; ttlMs: number }): Promise<INestApplication> {
    const env = {
      ...process.env,
      REDIS_URL: server.url,
      QUEUE_TYPE: 'redis',
      EVENT_BUS_TYPE: 'redis_stream',
      CONFIG_FILE: '',
      RATE_LIMIT: '',
      RATE_LIMIT_WINDOW_MS: '',
    };
    const config = loadServiceConfig(env);
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.register({ config, drainTimeoutMs: 1000, rateLimit })] }).compile();
    const app = moduleRef.createNestApplication({ logger });
    configureApp(app, config);
    await app.listen(0, '127.0.0.1'); // once: see testing/meeting-service-harness.ts (ECONNRESET on per-request ephemeral ports)
    apps.push(app);
    return app;
  }

  beforeAll(async () => {
    server = await spawnRedis();
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await server?.cleanup();
  });

  describe('bodies', () => {
    let http: ReturnType<INestApplication['getHttpServer']>;
    let meetingId: string;

    beforeAll(async () => {
      http = (await start({ limit: 10_000, ttlMs: 60_000 })).getHttpServer();
      meetingId = (await request(http).post('/meetings').send({ title: 'checks' }).expect(201)).body.meetingId;
      await request(http).post(`/meetings/${meetingId}/participants`).send({ name: 'Bob', participantId: 'bob' }).expect(201);
    });

    it('refuses form-encoded and text/plain bodies with 415', async () => {
      const form = await request(http).post('/meetings').type('form').send('title=hello').expect(415);
      expect(form.body).toEqual({ statusCode: 415, error: 'Unsupported Media Type', message: expect.stringContaining('application/x-www-form-urlencoded') });
      const text = await request(http).post('/meetings').set('Content-Type', 'text/plain').send('{"title":"hello"}').expect(415);
      expect(text.body.message).toBe('request bodies must be JSON (Content-Type: application/json), got text/plain');
    });

    it('answers null, an array and broken JSON with 400 and a clear message', async () => {
      const json = (body: string) => request(http).post('/meetings').set('Content-Type', 'application/json').send(body);
      expect((await json('null').expect(400)).body.message).toBe('the request body must be a JSON object, got null');
      expect((await json('[1]').expect(400)).body.message).toBe('the request body must be a JSON object, got an array');
      expect((await json('{"title":').expect(400)).body.message).toMatch(/^the request body is not valid JSON: /);
    });

    it('answers a 2 MB body with 413, logged as one warning without a stack', async () => {
      const before = logger.lines.length;
      const res = await request(http)
        .post('/meetings')
        .send({ title: 'x'.repeat(2 * 1024 * 1024) })
        .expect(413);
      expect(res.body).toEqual({ statusCode: 413, error: 'Payload Too Large', message: 'the request body is larger than 1048576 bytes' });
      const lines = logger.lines.slice(before);
      expect(lines.filter((l) => l.level === 'error')).toEqual([]);
      expect(lines.filter((l) => l.level === 'warn')).toEqual([
        { level: 'warn', message: expect.stringMatching(/^POST \/meetings: request body of \d+ bytes refused, the limit is 1048576 bytes \(413\)$/) },
      ]);
    });

    it('validates against the DTOs: unknown keys, wrong types and bad ids are 400 naming the field', async () => {
      const bad = async (path: string, body: object) => (await request(http).post(path).send(body).expect(400)).body.message as string[];
      expect(await bad('/meetings', { title: 'x', extra: 1 })).toEqual(['property extra should not exist']);
      expect(await bad('/meetings', {})).toEqual(expect.arrayContaining(['title must be a string']));
      expect(await bad('/meetings', { title: '   ' })).toEqual(['title must be longer than or equal to 1 characters']);
      expect(await bad('/meetings', { title: 't', hostId: 'a b' })).toEqual(['hostId must be 1..64 characters from [A-Za-z0-9_.-]']);
      expect(await bad(`/meetings/${meetingId}/participants`, {})).toEqual(expect.arrayContaining(['name must be a string']));
      expect(await bad(`/meetings/${meetingId}/transcripts`, { audio: 'x', durationMs: -5 })).toEqual(['durationMs must not be less than 1']);
      expect(await bad(`/meetings/${meetingId}/transcripts`, { audio: 'x', durationMs: '5' })).toEqual(
        expect.arrayContaining(['durationMs must be an integer number']),
      );
      expect(await bad(`/meetings/${meetingId}/emotions`, { sample: '' })).toEqual(['sample must be longer than or equal to 1 characters']);
      expect(await bad(`/meetings/${meetingId}/emotions`, { sample: 's', mood: 'x' })).toEqual(['property mood should not exist']);
    });

    it('refuses a participantId that is not in the meeting with 404', async () => {
      const transcript = await request(http).post(`/meetings/${meetingId}/transcripts`).send({ audio: 'clip', participantId: 'ghost' }).expect(404);
      expect(transcript.body.message).toBe(`participant "ghost" is not in meeting "${meetingId}"`);
      const emotion = await request(http).post(`/meetings/${meetingId}/emotions`).send({ sample: 's', participantId: 'ghost' }).expect(404);
      expect(emotion.body.message).toBe(`participant "ghost" is not in meeting "${meetingId}"`);
      await request(http).post(`/meetings/${meetingId}/transcripts`).send({ audio: 'clip', participantId: 'bob' }).expect(202);
    });

    it('answers task statuses with ISO times', async () => {
      const { taskId } = (await request(http).post(`/meetings/${meetingId}/transcripts`).send({ audio: 'clip-2' }).expect(202)).body;
      const status = (await request(http).get(`/tasks/${taskId}`).expect(200)).body;
      expect(status.createdAt).toEqual(new Date(status.createdAt).toISOString());
    });

    it('serves the OpenAPI description at /docs (UI) and /docs-json listing the routes and DTOs', async () => {
      expect((await request(http).get('/docs').expect(200)).text).toContain('swagger');
      const doc = (await request(http).get('/docs-json').expect(200)).body;
      expect(doc.openapi).toMatch(/^3\./);
      expect(doc.info.title).toBe('meeting-service');
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          '/meetings',
          '/meetings/{meetingId}',
          '/meetings/{meetingId}/participants',
          '/meetings/{meetingId}/participants/{participantId}',
          '/meetings/{meetingId}/end',
          '/meetings/{meetingId}/transcripts',
          '/meetings/{meetingId}/emotions',
          '/tasks/{taskId}',
        ]),
      );
      expect(doc.components.schemas.CreateMeetingDto).toMatchObject({
        required: ['title'],
        properties: { title: { type: 'string' }, hostId: { type: 'string' } },
      });
      expect(doc.paths['/meetings'].post.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/CreateMeetingDto');
    });
  });

  it('rate limits are shared by two instances on one Redis: the 4th request of a window gets 429 wherever it lands', async () => {
    const a = (await start({ limit: 3, ttlMs: 60_000 })).getHttpServer();
    const b = (await start({ limit: 3, ttlMs: 60_000 })).getHttpServer();
    // one counter per client and route in Redis: two hits on a, one on b, and the 4th is refused on either
    await request(a).get('/meetings').expect(200);
    await request(b).get('/meetings').expect(200);
    await request(a).get('/meetings').expect(200);
    const refused = await request(b).get('/meetings').expect(429);
    expect(refused.headers['retry-after']).toBeDefined();
    await request(a).get('/meetings').expect(429);
    // probes, metrics and docs are never limited
    await request(a).get('/health').expect(200);
    await request(b).get('/metrics').expect(200);
    await request(b).get('/docs-json').expect(200);
  });
});
