import { Body, CanActivate, Controller, Get, INestApplication, Injectable, Param, Post, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { QueueModule } from '@meeting/queue/nest';
import { deferred, metricSample } from '@meeting/queue/testing';
import { configureHttpApp } from '../http-app';
import { PlatformHttpModule } from '../throttle/platform-http.module';
import { UNMATCHED_ROUTE } from './http-request-metrics';

const BOUND_MS = 300;

/** What the waiting guard waits on (like the Redis-backed rate limit while Redis is away). */
const guardGate = deferred<boolean>();

@Injectable()
class WaitingGuard implements CanActivate {
  canActivate(): Promise<boolean> {
    return guardGate.promise;
  }
}

@Controller()
class ItemsController {
  @Get('items/:id')
  item(@Param('id') id: string): { id: string } {
    return { id };
  }

  @Post('items')
  create(@Body() body: Record<string, unknown>): Record<string, unknown> {
    return body;
  }

  @Get('limited')
  limited(): string {
    return 'ok';
  }

  @Get('never')
  never(): Promise<string> {
    return new Promise<string>(() => undefined);
  }

  @Get('guarded')
  @UseGuards(WaitingGuard)
  guarded(): string {
    return 'done';
  }
}

describe('http_request_duration_seconds: every answered request once, answers given before the interceptors included', () => {
  let app: INestApplication;
  let http: ReturnType<INestApplication['getHttpServer']>;

  /** The count of one series, read from /metrics (0 when absent). */
  const count = async (method: string, route: string, status: number): Promise<number> =>
    metricSample((await request(http).get('/metrics').expect(200)).text, 'http_request_duration_seconds_count', {
      method,
      route,
      status: String(status),
    }) ?? 0;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        QueueModule.forRoot({
          config: { service_name: 'http-metrics-test', message_queue: { type: 'memory' }, event_bus: { type: 'local' }, task_scheduler: { enabled: false } },
          drainTimeoutMs: 500,
        }),
        PlatformHttpModule.forRoot({ rateLimit: { limit: 2, ttlMs: 60_000 } }),
      ],
      controllers: [ItemsController],
      providers: [WaitingGuard],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    configureHttpApp(app, { name: 'metrics-test', description: 'HTTP metrics', bodyLimitBytes: 100, requestTimeoutMs: BOUND_MS });
    await app.listen(0, '127.0.0.1');
    http = app.getHttpServer();
  });

  afterAll(async () => {
    guardGate.resolve(false);
    await app?.close();
  });

  it('counts a handled request once, under its route pattern (the interceptor leaves it to the middleware)', async () => {
    await request(http).get('/items/7').expect(200);
    expect(await count('GET', '/items/:id', 200)).toBe(1);
    await request(http).get('/items/8').expect(200);
    expect(await count('GET', '/items/:id', 200)).toBe(2);
  });

  it("counts the body parser's refusals (415, 413, 400) under route `unmatched`, and a path no route matches (404)", async () => {
    await request(http).post('/items').set('Content-Type', 'text/plain').send('hello').expect(415);
    await request(http)
      .post('/items')
      .send({ text: 'x'.repeat(200) })
      .expect(413);
    await request(http).post('/items').set('Content-Type', 'application/json').send('{"not json').expect(400);
    await request(http).post('/items').send([1, 2]).expect(400);
    await request(http).get('/no/such/path').expect(404);
    expect(UNMATCHED_ROUTE).toBe('unmatched');
    expect(await count('POST', 'unmatched', 415)).toBe(1);
    expect(await count('POST', 'unmatched', 413)).toBe(1);
    expect(await count('POST', 'unmatched', 400)).toBe(2);
    expect(await count('GET', 'unmatched', 404)).toBe(1);
    expect(await count('POST', '/items', 201)).toBe(0);
  });

  it("counts the rate-limit guard's 429 under the route it refused", async () => {
    await request(http).get('/limited').expect(200);
    await request(http).get('/limited').expect(200);
    await request(http).get('/limited').expect(429);
    expect(await count('GET', '/limited', 200)).toBe(2);
    expect(await count('GET', '/limited', 429)).toBe(1);
  });

  it("counts the deadline's 503 once: given while a guard waits (before the interceptors) or while the handler runs", async () => {
    await request(http).get('/guarded').timeout(10_000).expect(503);
    await request(http).get('/never').timeout(10_000).expect(503);
    guardGate.resolve(true); // the guard passes after the 503: the handler is skipped, nothing more is counted
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await count('GET', '/guarded', 503)).toBe(1);
    expect(await count('GET', '/never', 503)).toBe(1);
    expect(await count('GET', '/guarded', 200)).toBe(0);
  });
});
