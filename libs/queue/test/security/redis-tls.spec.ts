import { readFileSync } from 'fs';
import { createQueue, QueueManager, RedisStartupError, RedisTlsError } from '../../src';
import { createRedisClient } from '../../src/redis/redis-connection';
import { RedisServerHandle, spawnRedis, uniquePrefix } from '../../src/testing';
import { makeTestPki, TestPki } from '../support/tls-certs';
import { waitFor } from '../support/wait';
import { captureLogger, createError } from './capture-logger';

/*
 * TLS against a real `redis-server --tls-port <p> --port 0 --tls-auth-clients yes` with a CA and
 * certificates made by openssl for this run: the whole path works with a client certificate, and
 * every certificate problem fails at once with RedisTlsError (never after connect_timeout_ms).
 */

let pki: TestPki;
let server: RedisServerHandle;

beforeAll(async () => {
  pki = makeTestPki();
  server = await spawnRedis({
    tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, client: { cert: pki.clientCert, key: pki.clientKey } },
  });
});

afterAll(async () => {
  await server?.cleanup();
  pki?.cleanup();
});

/** A config whose connect timeout is far beyond the test's: a wait for it would fail the test. */
function config(tls: unknown, extra: Record<string, unknown> = {}) {
  return {
    service_name: 'tls-test',
    redis: { host: server.host, port: server.port, tls, key_prefix: uniquePrefix('tls'), connect_timeout_ms: 120_000, ...extra },
    metrics: { enabled: false },
  };
}

async function roundTrip(manager: QueueManager): Promise<void> {
  const seen: string[] = [];
  manager.registerTaskHandler('echo', (payload: { n: number }) => void seen.push(String(payload.n)));
  await manager.start();
  await manager.queue().publish({ type: 'echo', payload: { n: 1 } });
  const events: string[] = [];
  await manager.subscribe('tls.*', (event) => void events.push(event.type));
  await manager.publishEvent('tls.check', 'tls.checked', {});
  await waitFor(() => seen.length === 1 && events.length === 1, 'task and event over TLS');
}

describe('redis.tls', () => {
  it('publishes and processes end to end with a private CA and a client certificate (file paths)', async () => {
    const { logger } = captureLogger();
    const manager = await QueueManager.create(config({ ca: pki.ca, cert: pki.clientCert, key: pki.clientKey }), { env: {}, logger });
    try {
      await roundTrip(manager);
    } finally {
      await manager.shutdown({ drainTimeoutMs: 1000 });
    }
  });

  it('takes PEM texts through ${VAR} and keeps rediss:// URLs working', async () => {
    const env = { REDIS_CA: readFileSync(pki.ca, 'utf8'), REDIS_CERT: readFileSync(pki.clientCert, 'utf8'), REDIS_KEY: readFileSync(pki.clientKey, 'utf8') };
    const { logger, text } = captureLogger();
    const manager = await QueueManager.create(
      {
        ...config({ ca: '${REDIS_CA}', cert: '${REDIS_CERT}', key: '${REDIS_KEY}' }),
        redis: {
          url: `rediss://${server.host}:${server.port}`,
          tls: { ca: '${REDIS_CA}', cert: '${REDIS_CERT}', key: '${REDIS_KEY}' },
          key_prefix: uniquePrefix('tls'),
        },
      },
      { env, logger },
    );
    try {
      await roundTrip(manager);
      // the private key never shows up in what the library logs
      expect(text()).not.toContain(env.REDIS_KEY.split('\n')[1]);
    } finally {
      await manager.shutdown({ drainTimeoutMs: 1000 });
    }
  });

  it('fails QueueManager.create at once with RedisTlsError when the CA did not sign the server certificate', async () => {
    const error = await createError(config({ ca: pki.otherCa, cert: pki.clientCert, key: pki.clientKey }));
    expect(error).toBeInstanceOf(RedisTlsError);
    expect(error).not.toBeInstanceOf(RedisStartupError);
    expect((error as Error).message).toMatch(/certificate problem/);
    expect((error as RedisTlsError).reason).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/);
  });

  it('fails at once with RedisTlsError without a client certificate when the server asks for one', async () => {
    const error = await createError(config({ ca: pki.ca }));
    expect(error).toBeInstanceOf(RedisTlsError);
    expect((error as Error).message).toMatch(/certificate/);
  });

  it('fails at once with RedisTlsError for a wrong server name', async () => {
    const wrongName = await createError(config({ ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, servername: 'not-the-server.example' }));
    expect(wrongName).toBeInstanceOf(RedisTlsError);
    expect((wrongName as RedisTlsError).reason).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('fails a bare publish with RedisTlsError instead of hanging (publishTimeoutMs 0)', async () => {
    const { logger } = captureLogger();
    const client = createRedisClient({ host: server.host, port: server.port, tls: { ca: pki.otherCa, cert: pki.clientCert, key: pki.clientKey }, logger });
    const queue = createQueue({ name: 'bare', publishTimeoutMs: 0, backend: { type: 'redis', client, prefix: uniquePrefix('tls') }, logger });
    try {
      await expect(queue.publish({ type: 'x' })).rejects.toBeInstanceOf(RedisTlsError);
      // and later calls too, not "Connection is closed."
      await expect(queue.publish({ type: 'x' })).rejects.toBeInstanceOf(RedisTlsError);
    } finally {
      await queue.close({ drainTimeoutMs: 100 }).catch(() => undefined);
      client.disconnect();
    }
  });

  it('rejects a cert without its key, and an unreadable file, naming the key', async () => {
    await expect(QueueManager.create(config({ cert: pki.clientCert }), { env: {} })).rejects.toThrow('redis.tls.key: expected both cert and key');
    await expect(QueueManager.create(config({ ca: '/nonexistent/ca.pem' }), { env: {} })).rejects.toThrow(
      /redis\.tls\.ca: expected a readable PEM file \(ENOENT\)/,
    );
  });
});
