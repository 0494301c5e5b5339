import { Body, CanActivate, Controller, Get, INestApplication, Injectable, NotFoundException, Post, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { deferred, waitFor } from '@meeting/queue/testing';
import { configureHttpApp } from '../http-app';
import { RecordingLogger } from '../testing';
import { DEFAULT_REQUEST_TIMEOUT_MS, requestTimeoutFromEnv, requestTimeoutMessage } from './request-deadline';

const BOUND_MS = 300;

/** What the test releases: the slow handlers and the slow guard wait on these. */
const gates = { answer: deferred<string>(), failure: deferred(), guard: deferred<boolean>(), health: deferred() };
let handled: string[] = [];

/** A guard that waits like the Redis-backed rate limit does while Redis is away. */
@Injectable()
class WaitingGuard implements CanActivate {
  canActivate(): Promise<boolean> {
    return gates.guard.promise;
  }
}

@Controller()
class SlowController {
  @Get('never')
  never(): Promise<string> {
    return new Promise<string>(() => undefined);
  }

  @Post('late')
  async late(@Body() body: { title?: string }): Promise<{ title?: string; answer: string }> {
    const answer = await gates.answer.promise;
    handled.push('late');
    return { ...body, answer };
  }

  @Get('late-failure')
  async lateFailure(): Promise<never> {
    await gates.failure.promise;
    throw new NotFoundException('gone');
  }

  @Post('guarded')
  @UseGuards(WaitingGuard)
  guarded(): string {
    handled.push('guarded');
    return 'done';
  }

  @Get('fast')
  fast(): string {
    return 'ok';
  }

  @Get('health')
  async health(): Promise<string> {
    handled.push('health');
    await gates.health.promise;
    return 'up';
  }
}

describe('request deadline: every request answered within the bound', () => {
  let app: INestApplication;
  let http: ReturnType<INestApplication['getHttpServer']>;
  const logger = new RecordingLogger();
  const errors = () => logger.lines.filter((l) => l.level === 'error');
  const unavailable = { statusCode: 503, error: 'Service Unavailable', message: requestTimeoutMessage(BOUND_MS) };

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ controllers: [SlowController], providers: [WaitingGuard] }).compile();
    app = moduleRef.createNestApplication({ logger });
    configureHttpApp(app, { name: 'deadline-test', description: 'slow handlers', requestTimeoutMs: BOUND_MS });
    await app.listen(0, '127.0.0.1');
    http = app.getHttpServer();
  });

  beforeEach(() => {
    handled = [];
  });

  afterAll(async () => {
    await app?.close();
  });

  it('answers a handler that never resolves with 503 in the error shape and Retry-After, once past the bound', async () => {
    const started = Date.now();
    const res = await request(http).get('/never').timeout(10_000).expect(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(BOUND_MS - 20);
    expect(res.body).toEqual(unavailable);
    expect(res.body.message).toBe(
      'the request did not complete within 300 ms (Redis is not answering); its effect may still be applied later, so check before retrying a request that changes something',
    );
    expect(res.headers['retry-after']).toBe('1');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(logger.lines).toContainEqual({ level: 'warn', message: 'GET /never: no answer within 300 ms, answered 503' });
  });

  it('drops the late answer of a handler that finishes after its 503: no ERR_HTTP_HEADERS_SENT, no error logged, the server goes on', async () => {
    await request(http).post('/late').send({ title: 'slow' }).timeout(10_000).expect(503);
    await request(http).get('/late-failure').timeout(10_000).expect(503);
    gates.answer.resolve('finally');
    gates.failure.resolve();
    await waitFor(() => logger.lines.some((l) => l.message.startsWith('POST /late: finished ')), 'the late answer to be reported');
    await waitFor(() => logger.lines.some((l) => l.message.startsWith('GET /late-failure: finished ')), 'the late failure to be reported');
    expect(handled).toEqual(['late']);
    expect(errors()).toEqual([]);
    expect((await request(http).get('/fast').expect(200)).text).toBe('ok');
  });

  it('bounds the guards too, and never starts the handler of a request whose guard passed after its 503', async () => {
    const res = await request(http).post('/guarded').send({}).timeout(10_000).expect(503);
    expect(res.body).toEqual(unavailable);
    gates.guard.resolve(true);
    await waitFor(
      () => logger.lines.some((l) => l.message === 'POST /guarded: not handled, it was answered 503 before reaching its handler'),
      'the skipped handler to be reported',
    );
    expect(handled).toEqual([]);
    expect(errors()).toEqual([]);
    expect((await request(http).post('/guarded').send({}).expect(201)).text).toBe('done');
    expect(handled).toEqual(['guarded']);
  });

  it('leaves /health (and /health/ready, /metrics) to their own bounds', async () => {
    const health = request(http)
      .get('/health')
      .timeout(10_000)
      .then((res) => res.status);
    await waitFor(() => handled.includes('health'), 'the health handler to start');
    // a request started after it is answered 503 at the bound: the health check has waited longer than that
    await request(http).get('/never').timeout(10_000).expect(503);
    gates.health.resolve();
    expect(await health).toBe(200);
  });

  it('requestTimeoutFromEnv: HTTP_REQUEST_TIMEOUT_MS over the given bound over 10 s; a bad value names the variable', () => {
    expect(requestTimeoutFromEnv({})).toBe(DEFAULT_REQUEST_TIMEOUT_MS);
    expect(DEFAULT_REQUEST_TIMEOUT_MS).toBe(10_000);
    expect(requestTimeoutFromEnv({}, 500)).toBe(500);
    expect(requestTimeoutFromEnv({ HTTP_REQUEST_TIMEOUT_MS: '2500' }, 500)).toBe(2500);
    expect(() => requestTimeoutFromEnv({ HTTP_REQUEST_TIMEOUT_MS: 'soon' })).toThrow('HTTP_REQUEST_TIMEOUT_MS must be a positive integer, got "soon"');
  });
});
