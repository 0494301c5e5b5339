/** The options of createDashboardHandler and startDashboardServer: refused with an InvalidOptionError at `dashboard.<key>` before anything listens. */
import { existsSync } from 'fs';
import type { Server } from 'http';
import Redis from 'ioredis';
import { join } from 'path';
import { QueueAdmin } from '../admin/queue-admin';
import { createDashboardHandler, DashboardOptions } from './dashboard-handler';
import { startDashboardServer } from './dashboard-server';

/** What a refused option throws: an InvalidOptionError at `path`. */
const refused = (path: string) => expect.objectContaining({ name: 'InvalidOptionError', code: 'INVALID_OPTION', path });

/** Options of the wrong type or shape (the API's own types would not compile them). */
const loose = <T>(value: unknown): T => value as T;

/** What `call` throws (undefined: nothing). */
function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** The error of starting a server with `options`; a server that started anyway is closed (and the test fails). */
async function startError(options: unknown): Promise<unknown> {
  let server: Server | undefined;
  try {
    server = await startDashboardServer(loose(options));
  } catch (error) {
    return error;
  }
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  return undefined;
}

describe('dashboard options', () => {
  // never connected: options are checked before the admin is used
  const client = new Redis({ lazyConnect: true });
  const admin = new QueueAdmin({ client });

  afterAll(async () => {
    await admin.close();
    client.disconnect();
  });

  const handlerOptions: Array<[string, unknown]> = [
    ['dashboard.admin', {}],
    ['dashboard.admin', { admin: { exists: async () => true } }],
    ['dashboard.adminTOKEN', { admin, adminTOKEN: 's3cret' }],
    ['dashboard.adminToken', { admin, adminToken: 1234 }],
    ['dashboard.adminToken', { admin, adminToken: '' }],
    ['dashboard.adminToken', { admin, adminToken: 'fifteen-chars-x' }],
    ['dashboard.allowedHosts', { admin, allowedHosts: 'localhost' }],
    ['dashboard.allowedHosts', { admin, allowedHosts: [] }],
    ['dashboard.allowedHosts[1]', { admin, allowedHosts: ['localhost', 'example.com:8080'] }],
    ['dashboard.allowedHosts[0]', { admin, allowedHosts: ['https://example.com'] }],
    ['dashboard.tokenAttempts.max', { admin, tokenAttempts: { max: 0 } }],
    ['dashboard.audit', { admin, audit: 'stderr' }],
    ['dashboard', null],
  ];

  it.each(handlerOptions)('createDashboardHandler refuses %s', (path, options) => {
    expect(thrown(() => createDashboardHandler(loose<DashboardOptions>(options)))).toEqual(refused(path));
  });

  it('never shows a bad token, only its type', () => {
    const error = thrown(() => createDashboardHandler(loose<DashboardOptions>({ admin, adminToken: 987654321 })));
    expect((error as Error).message).toBe('dashboard.adminToken: expected a string of at least 16 characters, got "number"');
    expect(JSON.stringify(error)).not.toContain('987654321');
  });

  it('refuses a token shorter than 16 characters, naming the option and the minimum, never the token', () => {
    for (const short of ['tok', 'fifteen-chars-x', 'ééééééééééééééé']) {
      const error = thrown(() => createDashboardHandler({ admin, adminToken: short }));
      expect(error).toEqual(refused('dashboard.adminToken'));
      expect((error as Error).message).toBe(
        `dashboard.adminToken: expected a string of at least 16 characters, got "a string of ${[...short].length} characters"`,
      );
      expect(`${(error as Error).message} ${JSON.stringify(error)}`).not.toContain(short);
    }
    expect(typeof createDashboardHandler({ admin, adminToken: 'sixteen-chars-xx', audit: () => undefined })).toBe('function');
  });

  it('takes allowedHosts of names, .domains and addresses (IPv6 with or without brackets)', () => {
    const allowedHosts = ['dashboard.example.com', '.ops.example.org', '10.0.0.5', '[::1]', 'fe80::1', 'Localhost.'];
    expect(typeof createDashboardHandler({ admin, allowedHosts, audit: () => undefined })).toBe('function');
  });

  it('accepts the options `mq dashboard` and the Nest module pass (keys present but undefined too)', () => {
    expect(typeof createDashboardHandler({ admin, adminToken: undefined, deadlineMs: undefined, audit: () => undefined })).toBe('function');
  });

  const serverOptions: Array<[string, unknown]> = [
    ['dashboard.port', { admin, port: 'abc' }],
    ['dashboard.port', { admin }],
    ['dashboard.port', { admin, port: 70_000 }],
    ['dashboard.port', { admin, port: 80.5 }],
    ['dashboard.hots', { admin, port: 0, hots: '0.0.0.0' }],
    ['dashboard.host', { admin, port: 0, host: '' }],
    ['dashboard.host', { admin, port: 0, host: 42 }],
    ['dashboard.admin', { port: 0 }],
    ['dashboard.adminToken', { admin, port: 0, adminToken: 'short' }],
    ['dashboard', 'abc'],
  ];

  it.each(serverOptions)('startDashboardServer refuses %s before listening', async (path, options) => {
    expect(await startError(options)).toEqual(refused(path));
  });

  it('listens on no Unix socket named after a port that is not a number', async () => {
    const server = await startDashboardServer(loose({ admin, port: 'abc' })).catch(() => undefined);
    const socket = existsSync(join(process.cwd(), 'abc'));
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    expect(socket).toBe(false);
  });
});
