/**
 * The HTTP conventions of the services (issue 14, "Validated, documented HTTP APIs"), through the
 * meeting-service: JSON bodies only, the body limit, nesting and compression, DTO validation, unknown
 * participants, OpenAPI at /docs, rate limits shared by two instances on one Redis, and /metrics and
 * the request bound (503) while Redis is away.
 */
import { INestApplication, LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AddressInfo } from 'net';
import request from 'supertest';
import { brotliCompressSync, gzipSync } from 'zlib';
import { TASK_QUEUES } from '@meeting/contracts';
import { RecordingLogger } from '@meeting/http/testing';
import { QueueManager } from '@meeting/queue';
import { metricSample, promtool, RedisServerHandle, spawnRedis, waitFor } from '@meeting/queue/testing';
import { AppModule } from './app.module';
import { configureApp } from './http';
import { loadServiceConfig } from './service-config';

describe('meeting-service HTTP API: validation, OpenAPI, rate limits (e2e, Redis)', () => {
  let server: RedisServerHandle;
  const apps: INestApplication[] = [];
  const logger = new RecordingLogger();

  /** An instance on the Redis at `redisUrl` (default: the spec's), listening on a free loopback port; `requestTimeoutMs` bounds its requests (default 10 s). */
  async function build(
    rateLimit: { limit: number; ttlMs: number } | false,
    redisUrl = server.url,
    log: LoggerService = logger,
    requestTimeoutMs?: number,
  ): Promise<INestApplication> {
    const env = {
      ...process.env,
      REDIS_URL: redisUrl,
      QUEUE_TYPE: 'redis',
      EVENT_BUS_TYPE: 'redis_stream',
      CONFIG_FILE: '',
      RATE_LIMIT: '',
      RATE_LIMIT_WINDOW_MS: '',
      HTTP_REQUEST_TIMEOUT_MS: '',
    };
    const config = loadServiceConfig(env);
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.register({ config, drainTimeoutMs: 1000, rateLimit })] }).compile();
    const app = moduleRef.createNestApplication({ logger: log });
    configureApp(app, config, { requestTimeoutMs });
    await app.listen(0, '127.0.0.1'); // once: see testing/meeting-service-harness.ts (ECONNRESET on per-request ephemeral ports)
    return app;
  }

  /** An instance on the spec's Redis, closed after all tests. */
  async function start(rateLimit: { limit: number; ttlMs: number }): Promise<INestApplication> {
    const app = await build(rateLimit);
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
    let app: INestApplication;
    let http: ReturnType<INestApplication['getHttpServer']>;
    let meetingId: string;
    const errorsLoggedSince = (before: number) => logger.lines.slice(before).filter((l) => l.level === 'error');

    beforeAll(async () => {
      app = await start({ limit: 10_000, ttlMs: 60_000 });
      http = app.getHttpServer();
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

    it('refuses a body nested deeper than 64 levels with 400 naming the limit, before validation walks it (a 500 stack overflow before)', async () => {
      /** `{"title":"x","a":{"a":...{}}}`, `levels` deep (the top-level object is level 1). */
      const nested = (levels: number) => `{"title":"x","a":${'{"a":'.repeat(levels - 2)}{}${'}'.repeat(levels - 2)}}`;
      const json = (body: string) => request(http).post('/meetings').set('Content-Type', 'application/json').send(body);
      const before = logger.lines.length;
      expect(nested(3000).length).toBeLessThan(1024 * 1024);
      const tooDeep = { statusCode: 400, error: 'Bad Request', message: 'the request body is nested too deeply: more than 64 levels of objects and arrays' };
      expect((await json(nested(3000)).expect(400)).body).toEqual(tooDeep);
      expect((await json(nested(65)).expect(400)).body).toEqual(tooDeep);
      // 64 levels reach the DTO checks
      expect((await json(nested(64)).expect(400)).body.message).toEqual(['property a should not exist']);
      expect(errorsLoggedSince(before)).toEqual([]);
    });

    it('answers a compressed body that does not decompress with 400 in the error shape, naming the Content-Encoding, and logs no error', async () => {
      // fetch sends the bytes as they are (superagent would serialise a Buffer as JSON)
      const { port } = http.address() as AddressInfo;
      const compressed = async (encoding: string, body: Buffer) => {
        const res = await fetch(`http://127.0.0.1:${port}/meetings`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Content-Encoding': encoding },
          body,
        });
        return { status: res.status, body: (await res.json()) as unknown };
      };
      const before = logger.lines.length;
      // zlib's reason follows when http-errors kept it (it does in a service; under Jest its errors come from another realm and it keeps only "Bad Request")
      const refusal = (encoding: string, reason: string) => ({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.stringMatching(new RegExp(`^the request body could not be decompressed \\(Content-Encoding: ${encoding}\\)(: ${reason})?$`)),
      });
      expect(await compressed('gzip', Buffer.from('garbage'))).toEqual({ status: 400, body: refusal('gzip', 'incorrect header check') });
      const cutShort = gzipSync(JSON.stringify({ title: 'cut short' })).subarray(0, 12);
      expect(await compressed('gzip', cutShort)).toEqual({ status: 400, body: refusal('gzip', 'unexpected end of file') });
      expect(await compressed('deflate', Buffer.from('garbage'))).toEqual({ status: 400, body: refusal('deflate', '.+') });
      expect(await compressed('br', Buffer.from('garbage'))).toEqual({ status: 400, body: refusal('br', '.+') });
      expect(await compressed('gzip', gzipSync(JSON.stringify({ title: 'gzipped' })))).toMatchObject({ status: 201, body: { title: 'gzipped' } });
      expect(await compressed('br', brotliCompressSync(JSON.stringify({ title: 'brotli' })))).toMatchObject({ status: 201, body: { title: 'brotli' } });
      expect(errorsLoggedSince(before)).toEqual([]);
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

    it("answers 404 for a task on a queue it dispatches to that another service published (the media-service's own transcode)", async () => {
      const media = app.get(QueueManager).queue(TASK_QUEUES.media);
      const messageId = await media.publish({ type: 'transcode', payload: { meetingId, recordingId: 'r1', format: 'mp4', resolution: '720p' } });
      const taskId = `${TASK_QUEUES.media}:${messageId}`;
      expect(await media.getStatus(messageId)).toMatchObject({ type: 'transcode' });
      expect((await request(http).get(`/tasks/${taskId}`).expect(404)).body.message).toBe(`task "${taskId}" unknown or past its retention`);
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
      // every status a route answers, the success included (GET /meetings/{id} listed only 400 and 404; emotions no 502, 504)
      const statuses = (path: string, method: string) => Object.keys(doc.paths[path][method].responses).sort();
      expect(statuses('/meetings/{meetingId}', 'get')).toEqual(['200', '400', '404']);
      expect(statuses('/meetings/{meetingId}/participants/{participantId}', 'delete')).toEqual(['204', '400', '404', '409']);
      expect(statuses('/meetings/{meetingId}/end', 'post')).toEqual(['200', '400', '404', '409']);
      expect(statuses('/meetings/{meetingId}/emotions', 'post')).toEqual(['200', '400', '404', '502', '504']);
      expect(statuses('/tasks/{taskId}', 'get')).toEqual(['200', '400', '404']);
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
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    // the error shape of every other refusal, not `{ statusCode, message: 'ThrottlerException: Too Many Requests' }`
    expect(refused.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: `too many requests: at most 3 per 60000 ms from one client on this route, retry after ${retryAfter} s`,
    });
    await request(a).get('/meetings').expect(429);
    // probes, metrics and docs are never limited
    await request(a).get('/health').expect(200);
    await request(b).get('/metrics').expect(200);
    await request(b).get('/docs-json').expect(200);
  });

  describe('/metrics while Redis is away', () => {
    let own: RedisServerHandle;
    let app: INestApplication;
    let http: ReturnType<INestApplication['getHttpServer']>;
    /** One scrape; a scrape that hangs fails the test here rather than at the test timeout. */
    const scrape = async () => (await request(http).get('/metrics').timeout(10_000).expect(200)).text;

    beforeAll(async () => {
      own = await spawnRedis();
      app = await build(false, own.url, new RecordingLogger());
      http = app.getHttpServer();
    });

    afterAll(async () => {
      await app?.close();
      await own?.cleanup();
    });

    it('answers within the read bound with mq_redis_connection_up 0 and without the meeting gauges, which are back with Redis', async () => {
      await request(http).post('/meetings').send({ title: 'scraped' }).expect(201);
      const up = await scrape();
      expect(metricSample(up, 'meeting_meetings', { state: 'active' })).toBe(1);
      expect(metricSample(up, 'meeting_participants')).toBe(0);

      await own.kill();
      const down = await waitFor(async () => {
        const text = await scrape();
        return metricSample(text, 'mq_redis_connection_up', { connection: 'commands-0' }) === 0 && text;
      }, 'a scrape that sees Redis down');
      expect(down).toContain('# TYPE meeting_meetings gauge');
      expect(metricSample(down, 'meeting_meetings')).toBeUndefined();
      expect(metricSample(down, 'meeting_participants')).toBeUndefined();
      promtool(['check', 'metrics'], { input: down });

      await own.restart();
      // the throwaway Redis keeps no data over a restart: the gauges are back, then count a new meeting
      await waitFor(async () => metricSample(await scrape(), 'meeting_meetings', { state: 'active' }) === 0, 'the meeting gauges back with Redis');
      await request(http).post('/meetings').send({ title: 'after the restart' }).expect(201);
      expect(metricSample(await scrape(), 'meeting_meetings', { state: 'active' })).toBe(1);
    });
  });

  describe('REST while Redis is away: 503 within the request bound', () => {
    const boundMs = 500;
    const log = new RecordingLogger();
    let own: RedisServerHandle;
    /** One instance whose rate limit counts in Redis (the guard waits on it first), one without (the repositories wait). */
    let limited: ReturnType<INestApplication['getHttpServer']>;
    let unlimited: ReturnType<INestApplication['getHttpServer']>;
    const instances: INestApplication[] = [];
    const unavailable = {
      statusCode: 503,
      error: 'Service Unavailable',
      message: `the request did not complete within ${boundMs} ms (Redis is not answering); its effect may still be applied later, so check before retrying a request that changes something`,
    };

    beforeAll(async () => {
      own = await spawnRedis({ aof: true }); // its data survives the outage, as a real Redis's would
      instances.push(await build({ limit: 10_000, ttlMs: 60_000 }, own.url, log, boundMs), await build(false, own.url, log, boundMs));
      [limited, unlimited] = instances.map((app) => app.getHttpServer());
    });

    afterAll(async () => {
      for (const app of instances) await app.close();
      await own?.cleanup();
    });

    /** The answer to `send`, and how long it took; a hang fails here (10 s) rather than at the test timeout. */
    async function timed(send: () => request.Test): Promise<{ res: request.Response; ms: number }> {
      const started = Date.now();
      const res = await send().timeout(10_000);
      return { res, ms: Date.now() - started };
    }

    it('answers GET and POST 503 in the error shape with Retry-After within the bound, logs no error, and serves again once Redis is back', async () => {
      for (const http of [limited, unlimited]) await request(http).get('/meetings').expect(200);
      await own.stop();

      for (const [name, http] of Object.entries({ limited, unlimited })) {
        for (const send of [() => request(http).get('/meetings'), () => request(http).post('/meetings').send({ title: 'during the outage' })]) {
          const { res, ms } = await timed(send);
          expect({ name, status: res.status, body: res.body, retryAfter: res.headers['retry-after'] }).toEqual({
            name,
            status: 503,
            body: unavailable,
            retryAfter: '1',
          });
          expect(ms).toBeGreaterThanOrEqual(boundMs - 50);
          expect(ms).toBeLessThan(boundMs + 5000);
        }
      }
      expect(log.lines.filter((l) => l.level === 'warn' && l.message.endsWith(`: no answer within ${boundMs} ms, answered 503`))).toHaveLength(4);
      // the probes keep their own bounds: readiness answers its own 503 (Terminus logs that as an error, the one expected), liveness 200
      expect((await request(limited).get('/health/ready').timeout(10_000).expect(503)).body).toMatchObject({ status: 'error' });
      await request(limited).get('/health').timeout(10_000).expect(200);

      await own.restart();
      for (const http of [limited, unlimited]) {
        await waitFor(async () => (await request(http).get('/meetings').timeout(10_000)).status === 200, 'GET /meetings answered 200 again');
        await request(http).post('/meetings').send({ title: 'after the outage' }).timeout(10_000).expect(201);
      }
      // the requests that waited on Redis finish now, their answers dropped without an error: the
      // guard's never reach a handler, the repositories' do (what they changed stays). On a busy
      // machine a GET polling for the reconnect may itself be answered 503 and finish late (seen
      // beside two CPU burners): every request answered 503 finishes, the 4 of the outage at least.
      const lines = (pattern: RegExp) => log.lines.filter((l) => pattern.test(l.message));
      const answered503 = () => lines(/^(GET|POST) \/meetings: no answer within/).length;
      const late = () => lines(/^(GET|POST) \/meetings: (not handled|finished )/).length;
      await waitFor(() => late() >= 4 && late() === answered503(), 'every request answered 503 to finish', 30_000).catch((error: Error) => {
        const deadlineLines = lines(/^(GET|POST) \/meetings: /).map((l) => `${l.level} ${l.message}`);
        throw new Error(`${error.message}; deadline lines logged:\n${deadlineLines.join('\n')}`);
      });
      expect(log.lines.filter((l) => l.level === 'error' && !l.message.startsWith('Health Check has failed!'))).toEqual([]);
    }, 90_000);
  });
});
