import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import Redis from 'ioredis';
import { hostname } from 'os';
import request from 'supertest';
import { QueueAdmin } from '../admin/queue-admin';
import { createQueue } from '../queue/create-queue';
import { RedisServerHandle, spawnRedis, uniquePrefix, waitFor } from '../testing';
import { parseConfig } from '../config/config-loader';
import { QueueDashboardModule } from './dashboard.module';

/** The admin token of these tests (at least 16 characters, as the dashboard requires). */
const TOKEN = 'module-spec-admin-token';

/** The dashboard mounted in a Nest app: pages, JSON API, token rules (header, cookie + Origin), audit lines. */
describe('QueueDashboardModule', () => {
  let server: RedisServerHandle;
  let client: Redis;
  let app: INestApplication;
  let dead: string[];
  let prefix: string;
  let admin: QueueAdmin;
  const audit: string[] = [];

  beforeAll(async () => {
    server = await spawnRedis();
    client = server.client();
    prefix = uniquePrefix('dashmod');
    const q = createQueue({ name: 'jobs', maxRetries: 0, backend: { type: 'redis', client, prefix } });
    q.process('x', async () => {
      throw new Error('no');
    });
    dead = await q.publishBatch([{ type: 'x', payload: '<img src=x onerror=alert(1)>' }, { type: 'x' }, { type: 'x' }]);
    await waitFor(async () => (await q.stats()).dead_letter_count === 3, 'three dead letters');
    await q.close();
    const moduleRef = await Test.createTestingModule({
      imports: [QueueDashboardModule.forRoot({ path: '/ops/queues', adminToken: TOKEN, admin: (admin = new QueueAdmin({ client, prefix })) })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    const { Logger } = await import('@nestjs/common');
    jest.spyOn(Logger.prototype, 'log').mockImplementation((message: unknown) => void audit.push(String(message)));
    await app.listen(0, '127.0.0.1'); // once: see apps/meeting-service/src/testing/meeting-service-harness.ts (ECONNRESET on per-request ephemeral ports)
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await admin?.close(); // given to the module, so not closed by it (its pub/sub sampler holds a connection)
    client?.disconnect();
    await server?.cleanup();
  });

  it('serves the page under its path and the JSON API the page uses', async () => {
    await request(app.getHttpServer()).get('/ops/queues').expect(301).expect('location', '/ops/queues/');
    const page = await request(app.getHttpServer()).get('/ops/queues/').expect(200);
    expect(page.text).toContain('<script src="app.js"></script>');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    await request(app.getHttpServer())
      .get('/ops/queues/app.js')
      .expect(200)
      .expect('content-type', /javascript/);
    const overview = await request(app.getHttpServer()).get('/ops/queues/api/overview').expect(200);
    expect(overview.body.queues).toEqual([expect.objectContaining({ name: 'jobs', deadLetters: 3 })]);
    const dlq = await request(app.getHttpServer()).get('/ops/queues/api/queues/jobs/dead-letters').expect(200);
    expect(dlq.body.items.map((d: { payload: unknown }) => d.payload)).toContain('<img src=x onerror=alert(1)>');
    expect(dlq.headers['content-type']).toMatch(/application\/json/);
    await request(app.getHttpServer()).get('/ops/queues/api/queues/nope').expect(404);
    expect((await request(app.getHttpServer()).get('/ops/queues/api/session')).body).toEqual({ admin: false, tokenConfigured: true });
  });

  it('serves workers, messages in flight with their holder, latency and pub/sub channels', async () => {
    const http = () => request(app.getHttpServer());
    const busy = createQueue({ name: 'w.busy', backend: { type: 'redis', client, prefix } });
    let release!: () => void;
    const running = new Promise<void>((r) => (release = r));
    try {
      const id = await busy.publish({ type: 'hold', payload: '<b>x</b>' });
      busy.process('hold', async (_m, ctx) => {
        await ctx.progress(0.4);
        await running;
      });
      const page = await waitFor(async () => {
        const body = (await http().get('/ops/queues/api/queues/w.busy').expect(200)).body;
        return body.inflight.items[0]?.holder && body.inflight.items[0]?.progress !== undefined && body;
      }, 'the message in flight with its holder and progress');
      expect(page.inflight.items[0]).toMatchObject({ id, payload: '<b>x</b>', holder: { host: hostname(), pid: process.pid }, progress: 0.4 });
      expect(page.inflight.items[0].heldMs).toBeGreaterThanOrEqual(0);
      expect(page.workers).toEqual([expect.objectContaining({ id: page.inflight.items[0].holder.id, pid: process.pid })]);
      expect(page.info).toMatchObject({ workers: 1, inflight: 1, latency: expect.objectContaining({ oldestMs: null }) });
      const workers = (await http().get('/ops/queues/api/queues/w.busy/workers').expect(200)).body;
      expect(workers).toEqual({ queue: 'w.busy', workers: page.workers.map(() => expect.objectContaining({ host: hostname() })) });
      const channels = (await http().get('/ops/queues/api/channels').expect(200)).body;
      expect(channels).toMatchObject({ eventPrefix: `${prefix}:ev`, samplingSince: expect.any(Number), channels: [] });
    } finally {
      release();
      await busy.close();
    }
  });

  it('refuses mutations without the token, with a wrong one, or with the cookie from another origin', async () => {
    const http = request(app.getHttpServer());
    await http.post(`/ops/queues/api/queues/jobs/dead-letters/${dead[0]}/replay`).expect(403);
    await http.post(`/ops/queues/api/queues/jobs/dead-letters/${dead[0]}/replay`).set('x-admin-token', 'wrong').expect(403);
    await http.post('/ops/queues/api/login').send({ token: 'wrong' }).expect(401);
    const login = await http.post('/ops/queues/api/login').type('form').send({ token: TOKEN }).expect(200);
    const cookie = String(login.headers['set-cookie']);
    // the session value (never the token), sent only to the dashboard's own paths
    expect(cookie).toMatch(/^mq_admin=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=\/ops\/queues$/);
    const session = cookie.split(';')[0];
    await http.delete(`/ops/queues/api/queues/jobs/dead-letters/${dead[0]}`).set('cookie', session).set('origin', 'http://evil.example').expect(403);
    await http.delete(`/ops/queues/api/queues/jobs/dead-letters/${dead[0]}`).set('cookie', session).expect(403); // no Origin at all
    expect((await http.get('/ops/queues/api/overview')).body.queues[0].deadLetters).toBe(3);
    expect(audit.some((l) => /refused POST .*no admin token/.test(l))).toBe(true);
  });

  it('applies mutations with the token header or the cookie from its own origin, and audits them', async () => {
    const http = request(app.getHttpServer());
    const replay = await http.post(`/ops/queues/api/queues/jobs/dead-letters/${dead[0]}/replay`).set('x-admin-token', TOKEN).expect(200);
    expect(replay.body).toEqual({ queue: 'jobs', replayed: [dead[0]] });
    const host = `127.0.0.1:${(app.getHttpServer().address() ?? { port: 0 }).port ?? 0}`;
    const session = String((await http.post('/ops/queues/api/login').type('form').send({ token: TOKEN }).expect(200)).headers['set-cookie']).split(';')[0];
    const del = await http
      .delete(`/ops/queues/api/queues/jobs/dead-letters/${dead[1]}`)
      .set('cookie', session)
      .set('host', host)
      .set('origin', `http://${host}`)
      .expect(200);
    expect(del.body).toEqual({ queue: 'jobs', deleted: [dead[1]] });
    const purge = await http.post('/ops/queues/api/queues/jobs/dead-letters/purge').set('x-admin-token', TOKEN).expect(200);
    expect(purge.body.deleted).toEqual([dead[2]]);
    await http.post('/ops/queues/api/queues/jobs/pause').set('x-admin-token', TOKEN).expect(200);
    expect((await http.get('/ops/queues/api/overview')).body.queues[0]).toMatchObject({ paused: true, deadLetters: 0, waiting: 1 });
    expect(audit.some((l) => l.includes(`admin (token header) from`) && l.includes(`POST /api/queues/jobs/dead-letters/${dead[0]}/replay`))).toBe(true);
    expect(audit.some((l) => l.includes('admin (login cookie)') && l.includes(dead[1]))).toBe(true);
    expect(audit.join('\n')).not.toContain(TOKEN);
  });
});

describe('QueueDashboardModule with an admin of its own (from `config`)', () => {
  it("logs its connection's outages through Nest's logger, where the application's lines go (JSON in production), not to the console", async () => {
    const server = await spawnRedis();
    const warned: string[] = [];
    const { Logger } = await import('@nestjs/common');
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void warned.push(String(message)));
    const printedLines = jest.spyOn(process.stderr, 'write');
    const config = parseConfig({ redis: { url: server.url, key_prefix: uniquePrefix('dashlog') } }, { env: {} });
    const moduleRef = await Test.createTestingModule({ imports: [QueueDashboardModule.forRoot({ config })] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      await app.init();
      await server.stop();
      await waitFor(() => warned.some((line) => /unreachable/.test(line)), "the outage line through Nest's logger");
      const printed = printedLines.mock.calls.map(([chunk]) => String(chunk)).join('');
      expect(printed).not.toMatch(/unreachable/);
    } finally {
      warn.mockRestore();
      printedLines.mockRestore();
      await app.close();
      await server.cleanup();
    }
  }, 30_000);
});

describe('QueueDashboardModule guards: allowedHosts, tokenAttempts', () => {
  // never connected: the page, the session and the login form do not reach Redis
  const client = new Redis({ lazyConnect: true });
  const admin = new QueueAdmin({ client });
  let app: INestApplication;

  beforeAll(async () => {
    const guarded = QueueDashboardModule.forRoot({
      path: '/queues',
      adminToken: TOKEN,
      admin,
      allowedHosts: ['ops.example.org'],
      tokenAttempts: { max: 3, windowMs: 30_000 },
    });
    app = (await Test.createTestingModule({ imports: [guarded] }).compile()).createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    await admin.close();
    client.disconnect();
  });

  it('answers 403 to a Host it does not list, 200 to one it does (any port)', async () => {
    const http = () => request(app.getHttpServer());
    for (const host of ['evil.example', 'ops.example.org.evil.example', '127.0.0.1'])
      expect((await http().get('/queues/api/session').set('host', host).expect(403)).body.error).toMatch(/^host not allowed/);
    await http().get('/queues/').set('host', 'ops.example.org').expect(200);
    await http().get('/queues/api/session').set('host', 'ops.example.org:8443').expect(200);
  });

  it('answers 429 with Retry-After to the token attempts of an address after `tokenAttempts.max` wrong ones, the right token too', async () => {
    const attempt = (token: string) => request(app.getHttpServer()).post('/queues/api/login').set('host', 'ops.example.org').send({ token });
    for (let i = 0; i < 3; i++) await attempt(`wrong-token-guess-${i}`).expect(401);
    const res = await attempt(TOKEN).expect(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(25);
    expect(res.body.error).toMatch(/^too many wrong admin tokens from this address/);
  });
});
