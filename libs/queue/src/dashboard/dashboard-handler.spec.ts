import crypto from 'crypto';
import { get, Server } from 'http';
import type { AddressInfo } from 'net';
import type Redis from 'ioredis';
import { hostname } from 'os';
import request from 'supertest';
import { QueueAdmin } from '../admin/queue-admin';
import { createQueue } from '../queue/create-queue';
import { deferred, RedisServerHandle, spawnRedis, uniquePrefix, waitFor } from '../testing';
import { createDashboardHandler } from './dashboard-handler';
import { startDashboardServer } from './dashboard-server';

/** The admin token of these tests (at least 16 characters, as the dashboard requires). */
const TOKEN = 'handler-spec-admin-token';

/**
 * The dashboard's HTTP contract over `mq dashboard`'s server (startDashboardServer): status codes of
 * bad requests (Origin, percent-encoding, parameters, methods), the API's shapes, and its deadline
 * when Redis does not answer. The Nest mounting, tokens and mutations: nest/dashboard.module.spec.ts.
 */
describe('dashboard handler', () => {
  let server: RedisServerHandle;
  let client: Redis;
  let admin: QueueAdmin;
  let dashboard: Server;
  let prefix: string;
  const audit: string[] = [];
  const http = () => request(dashboard);
  /** The cookie the login form sets (`mq_admin=<session value>`). */
  const loginCookie = async () => String((await http().post('/api/login').type('form').send({ token: TOKEN }).expect(200)).headers['set-cookie']).split(';')[0];

  beforeAll(async () => {
    server = await spawnRedis();
    client = server.client();
    prefix = uniquePrefix('dashhandler');
    const mail = createQueue({ name: 'mail', maxRetries: 0, backend: { type: 'redis', client, prefix } });
    mail.process('send', async () => {
      throw new Error('smtp down');
    });
    await mail.publishBatch([{ type: 'send' }, { type: 'send' }, { type: 'send' }]);
    await waitFor(async () => (await mail.stats()).dead_letter_count === 3, 'three dead letters');
    await mail.close();
    admin = new QueueAdmin({ client, prefix });
    dashboard = await startDashboardServer({ admin, adminToken: TOKEN, audit: (line) => void audit.push(line), port: 0 });
  }, 60_000);

  afterAll(async () => {
    await stopServer(dashboard);
    await admin?.close();
    client?.disconnect();
    await server?.cleanup();
  });

  it('refuses a mutation with the login cookie and an Origin of null or a malformed one: 403 and a refused line', async () => {
    const cookie = await loginCookie();
    for (const origin of ['null', 'garbage']) {
      const res = await http().post('/api/queues/mail/pause').set('cookie', cookie).set('origin', origin).expect(403);
      expect(res.body).toEqual({ error: 'admin token required' });
    }
    expect(audit.filter((l) => l.startsWith('dashboard: refused POST /api/queues/mail/pause'))).toHaveLength(2);
    expect((await http().get('/api/overview').expect(200)).body.queues).toEqual([expect.objectContaining({ name: 'mail', paused: false })]);
  });

  it('on the loopback, answers only a Host naming the loopback: a page of another site using DNS rebinding gets 403; on another address every Host', async () => {
    const port = (dashboard.address() as AddressInfo).port;
    for (const host of ['evil.example', `evil.example:${port}`, `192.168.1.5:${port}`, `127.0.0.1.evil.example:${port}`]) {
      const res = await http().get('/api/overview').set('host', host).expect(403);
      expect(res.body.error).toBe('host not allowed: this dashboard answers only the host names it is configured for');
      expect(res.headers['x-frame-options']).toBe('DENY');
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `app.localhost:${port}`])
      await http().get('/api/overview').set('host', host).expect(200);
    const open = await startDashboardServer({ admin, audit: () => undefined, port: 0, host: '0.0.0.0' });
    try {
      await request(open).get('/api/overview').set('host', 'dashboard.example.org').expect(200);
    } finally {
      await stopServer(open);
    }
  });

  it('sends its security headers on the page, its assets, API answers and errors: CSP without inline script, no framing, no referrer', async () => {
    const answers = [
      await http().get('/').expect(200),
      await http().get('/app.js').expect(200),
      await http().get('/app.css').expect(200),
      await http().get('/api/overview').expect(200),
      await http().get('/api/nothing-here').expect(404),
      await http().post('/api/queues/mail/pause').expect(403),
    ];
    for (const res of answers) {
      expect(res.headers).toMatchObject({
        'content-security-policy': expect.stringContaining("script-src 'self';"),
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
      });
      const csp = res.headers['content-security-policy'];
      for (const directive of ["default-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'"])
        expect(csp).toContain(directive);
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    }
    // the page loads its script from a file: nothing inline for the CSP to refuse
    expect(answers[0].text).toContain('<script src="app.js"></script>');
    expect(answers[0].text).not.toMatch(/<script>|\son\w+=/i);
  });

  it('login cookie: holds a session value derived from the token, never the token; HttpOnly, SameSite=Strict, Secure over HTTPS; the raw token as cookie is refused', async () => {
    const set = String((await http().post('/api/login').type('form').send({ token: TOKEN }).expect(200)).headers['set-cookie']);
    expect(set).toMatch(/^mq_admin=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=\/$/);
    expect(set).not.toContain(`mq_admin=${TOKEN};`);
    const { port } = dashboard.address() as AddressInfo;
    const own = { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` };
    await http().post('/api/queues/mail/pause').set('cookie', `mq_admin=${TOKEN}`).set(own).expect(403);
    await http().post('/api/queues/mail/pause').set('cookie', set.split(';')[0]).set(own).expect(200);
    await http().post('/api/queues/mail/resume').set('x-admin-token', TOKEN).expect(200);
    const proxied = String(
      (await http().post('/api/login').set('x-forwarded-proto', 'https').type('form').send({ token: TOKEN }).expect(200)).headers['set-cookie'],
    );
    expect(proxied).toMatch(/; Secure$/);
    expect(String((await http().post('/api/logout').expect(200)).headers['set-cookie'])).toBe('mq_admin=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0');
  });

  it('refuses a cross-site form post with the login cookie (text/plain; another site, another port, no Origin): 403, nothing paused', async () => {
    const { port } = dashboard.address() as AddressInfo;
    const cookie = await loginCookie();
    const form = (origin?: string) => {
      const req = http().post('/api/queues/mail/pause').set('cookie', cookie).set('content-type', 'text/plain').send('x=1');
      return origin === undefined ? req : req.set('origin', origin);
    };
    for (const origin of ['http://evil.example', `http://127.0.0.1:${port + 1}`, `http://localhost:${port}`, undefined])
      expect((await form(origin).expect(403)).body).toEqual({ error: 'admin token required' });
    // a CORS preflight (what the header token would take from another site) is not granted
    const preflight = await http().options('/api/queues/mail/pause').set('origin', 'http://evil.example').set('access-control-request-method', 'POST');
    expect(Object.keys(preflight.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    expect((await http().get('/api/overview').expect(200)).body.queues).toEqual([expect.objectContaining({ name: 'mail', paused: false })]);
    // the same post from the dashboard's own origin is taken (then undone)
    await form(`http://127.0.0.1:${port}`).expect(200);
    await http().post('/api/queues/mail/resume').set('x-admin-token', TOKEN).expect(200);
  });

  it('compares every admin token in constant time, a wrong one of another length too (equal-length digests), and logs none', async () => {
    const compare = jest.spyOn(crypto, 'timingSafeEqual');
    try {
      for (const wrong of ['t', `${TOKEN}0`, 'x'.repeat(300)]) {
        await http().post('/api/queues/mail/pause').set('x-admin-token', wrong).expect(403);
        await http().post('/api/login').send({ token: wrong }).expect(401);
      }
      expect(compare).toHaveBeenCalledTimes(6);
      for (const [a, b] of compare.mock.calls) expect([(a as Buffer).length, (b as Buffer).length]).toEqual([32, 32]);
    } finally {
      compare.mockRestore();
    }
    expect(audit.filter((l) => l.includes(TOKEN) || l.includes('xxx'))).toEqual([]);
  });

  it('answers 400 to a `limit`, `offset` or `scan` that is not plain digits (1e3, 0x10, +5, " 5")', async () => {
    for (const [param, value] of [
      ['limit', '1e3'],
      ['limit', '0x10'],
      ['offset', '+5'],
      ['scan', ' 5'],
    ]) {
      const path = param === 'scan' ? '/api/queues/mail/limits' : param === 'offset' ? '/api/queues/mail/peek' : '/api/queues/mail/dead-letters';
      const res = await http()
        .get(`${path}?${param}=${encodeURIComponent(value)}`)
        .expect(400);
      expect(res.body.error).toBe(
        `${param}: expected an integer in ${param === 'limit' ? '[1, 10000]' : param === 'offset' ? `[0, ${Number.MAX_SAFE_INTEGER}]` : '[0, 1000000]'}, got "${value}"`,
      );
    }
  });

  it('answers 400 to malformed percent-encoding in the path, and to a path no URL is made of', async () => {
    for (const path of ['/api/queues/%ZZ', '/api/queues/mail/dead-letters/%E0%A4%A']) {
      const res = await http().get(path).expect(400);
      expect(res.body.error).toMatch(/^malformed percent-encoding in the path/);
    }
    expect(await rawGet(dashboard, '//[x')).toEqual({ status: 400, body: { error: 'malformed request path' } });
  });

  it('answers 400 to a dead-letter `since` that is not epoch ms, an ISO date or a duration like 15m (the mq --since forms)', async () => {
    const since = (value: string) => http().get(`/api/queues/mail/dead-letters?since=${encodeURIComponent(value)}`);
    for (const bad of ['abc', '1y', 'abc 1', '12:00']) {
      const res = await since(bad).expect(400);
      expect(res.body.error).toMatch(/^since: expected ms since the epoch, an ISO date .* or a duration back from now \(30s, 15m, 2h, 7d\), got/);
    }
    const count = async (value: string) => (await since(value).expect(200)).body.items.length;
    expect(await count('1h')).toBe(3);
    expect(await count('0s')).toBe(0);
    expect(await count(String(Date.now() - 3_600_000))).toBe(3);
    expect(await count(new Date(Date.now() + 60_000).toISOString())).toBe(0);
    expect(await count(new Date(Date.now() - 3_600_000).toISOString().slice(0, 10))).toBe(3);
    expect(await count('')).toBe(3);
  });

  it('dead letters: how many match the filter beside the queue total (as mq dlq list), counted over at most `scan`', async () => {
    const deadLetters = async (query: string) => (await http().get(`/api/queues/mail/dead-letters?${query}`).expect(200)).body;
    expect(await deadLetters('type=send&limit=1')).toMatchObject({ queue: 'mail', total: 3, matched: 3, matchedExact: true });
    expect(await deadLetters('type=other')).toMatchObject({ total: 3, matched: 0, matchedExact: true, items: [] });
    expect(await deadLetters('limit=1')).toMatchObject({ total: 3, matched: 3, matchedExact: true });
    expect((await http().get('/api/queues/mail/dead-letters?scan=-1').expect(400)).body.error).toMatch(/^scan: expected an integer in \[0, 1000000\]/);
  });

  it('bounds `limit` per route: up to 10 000 dead letters, up to 1000 on a queue page', async () => {
    expect((await http().get('/api/queues/mail/dead-letters?limit=5000').expect(200)).body).toMatchObject({ queue: 'mail', total: 3 });
    expect((await http().get('/api/queues/mail/dead-letters?limit=10001').expect(400)).body.error).toMatch(/^limit: expected an integer in \[1, 10000\]/);
    expect((await http().get('/api/queues/mail?limit=5000').expect(400)).body.error).toMatch(/^limit: expected an integer in \[1, 1000\]/);
    await http().get('/api/queues/mail/groups?limit=1000').expect(200);
  });

  it('peeks at the messages in flight with their holder, heldMs and leaseEndsInMs (as mq peek --tier inflight)', async () => {
    const busy = createQueue({ name: 'busy', backend: { type: 'redis', client, prefix } });
    const release = deferred();
    try {
      const id = await busy.publish({ type: 'hold' });
      busy.process('hold', () => release.promise);
      const page = await waitFor(async () => {
        const body = (await http().get('/api/queues/busy/peek?target=inflight').expect(200)).body;
        return body.items[0]?.holder && body;
      }, 'the message in flight with its holder');
      expect(page.items[0]).toMatchObject({
        id,
        holder: { host: hostname(), pid: process.pid },
        heldMs: expect.any(Number),
        leaseEndsInMs: expect.any(Number),
      });
      expect(page.items[0].leaseEndsInMs).toBeGreaterThan(0);
    } finally {
      release.resolve();
      await busy.close();
    }
  });

  it('answers 405 with Allow to a known path called with another method, 404 to an unknown path', async () => {
    const allowed = async (method: 'post' | 'get' | 'put' | 'delete', path: string, allow: string) => {
      const res = await http()[method](path).set('x-admin-token', TOKEN).expect(405);
      expect(res.headers.allow).toBe(allow);
      expect(res.body.error).toBe(`method not allowed (allowed: ${allow})`);
    };
    await allowed('post', '/api/overview', 'GET');
    await allowed('get', '/api/queues/mail/pause', 'POST');
    await allowed('delete', '/api/login', 'POST');
    await allowed('put', '/api/queues/mail/dead-letters/some-id', 'GET, DELETE');
    await allowed('put', '/api/queues/mail/dead-letters/purge', 'GET, POST, DELETE');
    await allowed('post', '/app.js', 'GET');
    await http().post('/api/overview').expect(405); // without the token too: no 403, no refused line
    expect(audit.some((l) => l.includes('/api/overview'))).toBe(false);
    await http().get('/api/nothing-here').expect(404);
    await http().post('/api/queues/mail/nothing-here').set('x-admin-token', TOKEN).expect(404);
  });

  it('answers 503 naming the deadline while Redis is down (reads and mutations), and again 200 once it is back', async () => {
    const outage = await spawnRedis({ aof: true });
    const outageClient = outage.client();
    const outageAudit: string[] = [];
    const outageAdmin = new QueueAdmin({ client: outageClient, prefix });
    const down = await startDashboardServer({ admin: outageAdmin, adminToken: TOKEN, audit: (l) => void outageAudit.push(l), port: 0, deadlineMs: 300 });
    try {
      await createQueue({ name: 'q', backend: { type: 'redis', client: outageClient, prefix } }).publish({ type: 't' });
      await request(down).get('/api/overview').expect(200);
      await outage.stop();
      await waitFor(() => outageClient.status !== 'ready', 'the client to lose Redis');
      for (const path of ['/api/overview', '/api/queues/q', '/api/queues/q/dead-letters']) {
        const res = await request(down).get(path).timeout(10_000).expect(503);
        expect(res.body).toEqual({ error: 'Redis did not answer within 300 ms' });
      }
      await request(down).post('/api/queues/q/pause').set('x-admin-token', TOKEN).timeout(10_000).expect(503);
      expect(outageAudit).toContainEqual(expect.stringMatching(/: POST \/api\/queues\/q\/pause -> Redis did not answer within 300 ms \(may still be applied/));
      await outage.restart();
      await waitFor(async () => (await request(down).get('/api/overview')).status === 200, 'the dashboard to answer again');
      // the pause sent while Redis was down went out on the new connection: applied, and audited then
      await waitFor(() => outageAudit.some((l) => l.endsWith('POST /api/queues/q/pause -> {"queue":"q","paused":true}')), 'the late pause audited');
      expect((await request(down).get('/api/overview').expect(200)).body.queues).toEqual([expect.objectContaining({ name: 'q', paused: true })]);
    } finally {
      await stopServer(down);
      await outageAdmin.close();
      outageClient.disconnect();
      await outage.cleanup();
    }
  }, 60_000);

  it('leaves no unhandled rejection when a call that outlived its deadline fails later', async () => {
    const outage = await spawnRedis();
    const outageClient = outage.client();
    const outageAdmin = new QueueAdmin({ client: outageClient, prefix });
    const down = await startDashboardServer({ admin: outageAdmin, adminToken: TOKEN, audit: () => undefined, port: 0, deadlineMs: 200 });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    let failedLate = 0;
    const exists = outageAdmin.exists.bind(outageAdmin);
    jest.spyOn(outageAdmin, 'exists').mockImplementation((name) => {
      const found = exists(name);
      found.catch(() => failedLate++); // only counts: the handler's own promises stay as they are
      return found;
    });
    const control = outage.client();
    try {
      await waitFor(() => outageClient.status === 'ready', 'the client connected');
      await control.call('CLIENT', 'PAUSE', '60000', 'ALL'); // the server holds every client's commands (for a minute)
      await request(down).get('/api/queues/q').timeout(10_000).expect(503);
      await request(down).post('/api/queues/q/pause').set('x-admin-token', TOKEN).timeout(10_000).expect(503);
      outageClient.disconnect(); // the commands the two calls still wait for fail ("Connection is closed")
      await waitFor(() => failedLate === 2, 'both calls to fail after their deadline');
      await new Promise<void>((resolve) => setImmediate(resolve)); // Node reports unhandled rejections once the microtasks ran
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await stopServer(down);
      await outage.cleanup(); // killed while paused (CLIENT UNPAUSE would wait too)
      await outageAdmin.close();
    }
  }, 60_000);

  it('refuses a deadline that is not a positive integer of ms', () => {
    expect(() => createDashboardHandler({ admin, deadlineMs: 0 })).toThrow(/^dashboard\.deadlineMs: expected an integer in \[1, /);
  });
});

async function stopServer(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A GET of a raw request target (supertest and fetch would normalize or refuse `//[x`). */
function rawGet(server: Server, path: string): Promise<{ status: number; body: unknown }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to GET ${path}`)));
    req.on('error', reject);
  });
}
