import { inspect } from 'util';
import { IncomingMessage, ServerResponse } from 'http';
import { maskConfig, QueueAdmin, QueueManager, RedisAuthError, RedisStartupError, createDashboardHandler } from '../../src';
import { freePort, RedisServerHandle, spawnRedis, uniquePrefix } from '../../src/testing';
import { waitFor } from '../support/wait';
import { captureLogger } from './capture-logger';

/*
 * Passwords and tokens never appear in logs, errors, metrics or the dashboard: every failure path
 * and every output is captured and searched for the secret.
 */

const SECRET = 'Pa55-word-never-shown-8271';

/** Everything an error exposes: message, stack, own properties (util.inspect walks them, `cause` included). */
function everythingOf(error: unknown): string {
  return `${String(error)}\n${(error as Error).stack ?? ''}\n${inspect(error, { depth: 6, showHidden: true })}\n${JSON.stringify(error)}`;
}

let server: RedisServerHandle;

beforeAll(async () => {
  server = await spawnRedis({ password: SECRET });
});

afterAll(async () => {
  await server?.cleanup();
});

describe('secrets', () => {
  it('an unreachable Redis with the password in the URL: error and log lines show the URL masked', async () => {
    const { logger, text } = captureLogger();
    const url = `redis://svc:${SECRET}@127.0.0.1:${await freePort()}/0`;
    const error = await QueueManager.create({ redis: { url, connect_timeout_ms: 300 }, metrics: { enabled: false } }, { env: {}, logger }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RedisStartupError);
    expect((error as Error).message).toContain('redis://svc:***@127.0.0.1');
    expect(everythingOf(error)).not.toContain(SECRET);
    expect(text()).toMatch(/unreachable/);
    expect(text()).not.toContain(SECRET);
  });

  it('an unreachable Redis with redis.password: nothing shows it', async () => {
    const { logger, text } = captureLogger();
    const port = await freePort();
    const error = await QueueManager.create(
      { redis: { port, password: SECRET, connect_timeout_ms: 300 }, metrics: { enabled: false } },
      { env: {}, logger },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisStartupError);
    expect(everythingOf(error)).not.toContain(SECRET);
    expect(text()).not.toContain(SECRET);
  });

  it('a wrong password: the typed error carries neither the wrong nor the right password (no raw AUTH command as cause)', async () => {
    const wrong = `${SECRET}-wrong`;
    const { logger, text } = captureLogger();
    for (const redis of [{ url: `redis://:${wrong}@${server.host}:${server.port}` }, { host: server.host, port: server.port, password: wrong }]) {
      const error = await QueueManager.create({ redis: { ...redis, connect_timeout_ms: 60_000 }, metrics: { enabled: false } }, { env: {}, logger }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RedisAuthError);
      expect(everythingOf(error)).not.toContain(SECRET);
    }
    expect(text()).not.toContain(SECRET);
  });

  it('a running manager: logs (with an outage), stats, metrics, the masked config and the dashboard never show the password', async () => {
    const { logger, text } = captureLogger();
    const config = {
      service_name: 'secrets',
      redis: { url: `redis://:${SECRET}@${server.host}:${server.port}`, key_prefix: uniquePrefix('sec') },
      metrics: { default_metrics: false },
    };
    const manager = await QueueManager.create(config, { env: {}, logger });
    const admin = await QueueAdmin.fromConfig(manager.config, 5000, logger);
    try {
      manager.registerTaskHandler('echo', () => 'ok');
      await manager.start();
      await manager.queue().publish({ type: 'echo' });
      await waitFor(async () => (await manager.stats()).message_queue?.total_processed === 1, 'processed');
      const dashboard = [await dashboardGet(admin, '/api/overview'), await dashboardGet(admin, `/api/queues/${manager.config.message_queue.queue_name}`)];
      expect(dashboard[0]).toContain(manager.config.message_queue.queue_name); // the dashboard answered with data
      // an outage and its end are logged with the masked URL
      await server.kill();
      await waitFor(() => /unreachable/.test(text()), 'outage logged');
      await server.restart();
      await waitFor(() => /back after/.test(text()), 'recovery logged');
      const outputs = [
        text(),
        JSON.stringify(await manager.stats()),
        await manager.metrics!.metrics(),
        JSON.stringify(maskConfig(manager.config)),
        JSON.stringify(await manager.readiness()),
        ...dashboard,
      ];
      for (const output of outputs) expect(output).not.toContain(SECRET);
      expect(text()).toMatch(/redis:\/\/:\*\*\*@127\.0\.0\.1/);
    } finally {
      await admin.close();
      await manager.shutdown({ drainTimeoutMs: 1000 });
    }
  });
});

/** The body of a dashboard GET, through the handler itself (no HTTP server needed). */
async function dashboardGet(admin: QueueAdmin, path: string): Promise<string> {
  const handler = createDashboardHandler({ admin, adminToken: 'token-not-a-redis-secret', audit: () => undefined });
  let body = '';
  const res = {
    statusCode: 0,
    setHeader: () => undefined,
    writeHead(status: number) {
      this.statusCode = status;
      return this;
    },
    end(chunk?: string) {
      body += chunk ?? '';
    },
  };
  await handler(
    { method: 'GET', headers: {}, url: path, socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage,
    res as unknown as ServerResponse,
    path,
  );
  return body;
}
