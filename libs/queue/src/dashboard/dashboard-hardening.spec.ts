/**
 * The dashboard's guards over HTTP, with no Redis behind it (the login form, refused mutations and
 * the page never reach Redis): wrong admin tokens per client address (429 with Retry-After; a second
 * address is another loopback address, 127.0.0.2, bound with `localAddress`), and `allowedHosts`.
 */
import { request as httpRequest, Server } from 'http';
import type { AddressInfo } from 'net';
import Redis from 'ioredis';
import { QueueAdmin } from '../admin/queue-admin';
import { startDashboardServer } from './dashboard-server';

const TOKEN = 'hardening-spec-admin-token';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { error?: string; admin?: boolean };
}

interface Call {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** The client's own address (127.0.0.1 by default). */
  from?: string;
}

/** One request to `server`, from the address `from`. */
function call(server: Server, { method = 'GET', path, headers = {}, body, from = '127.0.0.1' }: Call): Promise<Answer> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, localAddress: from, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text.startsWith('{') ? JSON.parse(text) : {} }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

const login = (token: string, from?: string): Call => ({
  method: 'POST',
  path: '/api/login',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ token }),
  from,
});
const pause = (token: string, from?: string): Call => ({ method: 'POST', path: '/api/queues/mail/pause', headers: { 'x-admin-token': token }, from });

describe('dashboard guards', () => {
  // never connected: nothing here reaches Redis
  const client = new Redis({ lazyConnect: true });
  const admin = new QueueAdmin({ client });
  const servers: Server[] = [];
  const start = async (options: Partial<Parameters<typeof startDashboardServer>[0]>) => {
    const server = await startDashboardServer({ admin, adminToken: TOKEN, port: 0, host: '127.0.0.1', ...options });
    servers.push(server);
    return server;
  };

  afterEach(async () => {
    jest.restoreAllMocks();
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  afterAll(async () => {
    await admin.close();
    client.disconnect();
  });

  it('after 10 wrong tokens (login or header) from one address within 60 s: 429 with Retry-After for its token attempts, the right one too, until the window passed', async () => {
    const audit: string[] = [];
    const server = await start({ audit: (line) => void audit.push(line) });
    for (let i = 0; i < 5; i++) {
      expect((await call(server, login(`wrong-token-guess-${i}`))).status).toBe(401);
      expect((await call(server, pause(`wrong-token-guess-${i}`))).status).toBe(403);
    }
    for (const attempt of [login(TOKEN), pause(TOKEN), login('another-wrong-guess')]) {
      const res = await call(server, attempt);
      expect(res.status).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(59);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(res.body.error).toMatch(/^too many wrong admin tokens from this address: try again in (59|60) s$/);
      expect(res.headers['x-frame-options']).toBe('DENY');
    }
    // reads stay open; another address is not blocked
    expect((await call(server, { path: '/api/session' })).body).toEqual({ admin: false, tokenConfigured: true });
    expect((await call(server, login(TOKEN, '127.0.0.2'))).status).toBe(200);
    expect((await call(server, pause('wrong-from-elsewhere', '127.0.0.2'))).status).toBe(403);
    const blocked = 'dashboard: blocked admin token attempts from 127.0.0.1 for 60 s (10 wrong tokens within 60 s)';
    expect(audit.filter((line) => line.includes('blocked'))).toEqual([blocked]);
    expect(audit.join('\n')).not.toContain(TOKEN);

    // the window passes (the limiter reads Date.now)
    const later = Date.now() + 60_001;
    jest.spyOn(Date, 'now').mockReturnValue(later);
    const res = await call(server, login(TOKEN));
    expect(res.status).toBe(200);
    expect(audit.filter((line) => line.includes('allowed again'))).toEqual([
      expect.stringMatching(/^dashboard: admin token attempts from 127\.0\.0\.1 allowed again \(block ended at \d{4}-\d\d-\d\dT/),
    ]);
    await call(server, login(TOKEN));
    expect(audit.filter((line) => line.includes('allowed again'))).toHaveLength(1);
  });

  it('takes its limits from `tokenAttempts`', async () => {
    const server = await start({ audit: () => undefined, tokenAttempts: { max: 2, windowMs: 5_000 } });
    await call(server, login('wrong-token-guess-1'));
    await call(server, login('wrong-token-guess-2'));
    const res = await call(server, login(TOKEN));
    expect([res.status, res.headers['retry-after']]).toEqual([429, '5']);
  });

  it('with `allowedHosts`, answers 403 to a Host not listed (port not compared; .example.org: it and its subdomains)', async () => {
    const server = await start({ audit: () => undefined, allowedHosts: ['dashboard.example.com', '.ops.example.org'] });
    for (const host of ['evil.example', 'dashboard.example.com.evil.example', 'localhost', '127.0.0.1', 'example.org', 'xops.example.org']) {
      const res = await call(server, { path: '/api/session', headers: { host } });
      expect([host, res.status, res.body.error]).toEqual([host, 403, 'host not allowed: this dashboard answers only the host names it is configured for']);
    }
    for (const host of ['dashboard.example.com', 'DASHBOARD.example.com:8443', 'ops.example.org', 'eu.ops.example.org:80']) {
      expect([host, (await call(server, { path: '/api/session', headers: { host } })).status]).toEqual([host, 200]);
      expect([host, (await call(server, { path: '/', headers: { host } })).status]).toEqual([host, 200]);
    }
  });
});
