import { ChildProcess, spawn } from 'child_process';
import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import Redis from 'ioredis';
import { QueueManager, RedisTlsError } from '../../src';
import { findRedisServerBinary, freePort, RedisServerHandle, spawnRedis, uniquePrefix } from '../../src/testing';
import { makeTestPki, TestPki } from '../support/tls-certs';
import { waitFor } from '../support/wait';
import { captureLogger, createError } from './capture-logger';

/*
 * Sentinel with TLS everywhere: a TLS-only master (`--port 0 --tls-port`, client certificates
 * required) and a TLS-only sentinel (`tls-replication yes`: it talks TLS to the master). With
 * `redis.tls` the client talks TLS to the sentinel and to the master it names (ioredis
 * `enableTLSForSentinelMode`); before, it spoke plain text to the master and publishes hung.
 * (The sentinel is started as in apps/mq/src/mq.sentinel.e2e.spec.ts.)
 */
jest.setTimeout(60_000);

let pki: TestPki;
let master: RedisServerHandle;
let sentinel: ChildProcess | undefined;
let sentinelPort: number;

beforeAll(async () => {
  pki = makeTestPki();
  const tls = { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, client: { cert: pki.clientCert, key: pki.clientKey } };
  master = await spawnRedis({ tls });
  sentinelPort = await freePort();
  const conf = join(pki.dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      'port 0',
      `tls-port ${sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${pki.dir}`,
      `tls-cert-file ${pki.serverCert}`,
      `tls-key-file ${pki.serverKey}`,
      `tls-ca-cert-file ${pki.ca}`,
      'tls-auth-clients yes',
      'tls-replication yes',
      `sentinel monitor tlsmaster 127.0.0.1 ${master.port} 1`,
      '',
    ].join('\n'),
  );
  sentinel = spawn(findRedisServerBinary()!, [conf, '--sentinel'], { stdio: 'ignore' });
  const probe = new Redis({
    host: '127.0.0.1',
    port: sentinelPort,
    tls: { ca: readFileSync(pki.ca, 'utf8'), cert: readFileSync(pki.clientCert, 'utf8'), key: readFileSync(pki.clientKey, 'utf8') },
    retryStrategy: () => 50,
    maxRetriesPerRequest: null,
  });
  probe.on('error', () => undefined);
  try {
    await waitFor(
      async () => {
        const addr = (await probe.call('SENTINEL', 'get-master-addr-by-name', 'tlsmaster')) as string[] | null;
        return addr?.[1] === String(master.port);
      },
      'the TLS sentinel to know the TLS master',
      30_000,
      50,
    );
  } finally {
    probe.disconnect();
  }
});

afterAll(async () => {
  sentinel?.kill('SIGKILL');
  await master?.cleanup();
  pki?.cleanup();
});

function config(tls: unknown) {
  return {
    service_name: 'tls-sentinel',
    redis: {
      sentinels: [{ host: '127.0.0.1', port: sentinelPort }],
      sentinel_name: 'tlsmaster',
      tls,
      key_prefix: uniquePrefix('tlss'),
      connect_timeout_ms: 120_000,
    },
    metrics: { enabled: false },
  };
}

describe('redis.tls through Sentinel', () => {
  it('publishes and processes end to end, TLS to the sentinel and to the master it names', async () => {
    const { logger } = captureLogger();
    const manager = await QueueManager.create(config({ ca: pki.ca, cert: pki.clientCert, key: pki.clientKey }), { env: {}, logger });
    try {
      const seen: number[] = [];
      manager.registerTaskHandler('echo', (payload: { n: number }) => void seen.push(payload.n));
      await manager.start();
      await manager.queue().publish({ type: 'echo', payload: { n: 7 } });
      const events: string[] = [];
      await manager.subscribe('sentinel.*', (event) => void events.push(event.type));
      await manager.publishEvent('sentinel.tls', 'sentinel.checked', {});
      await waitFor(() => seen.includes(7) && events.length === 1, 'task and event through the sentinel over TLS');
    } finally {
      await manager.shutdown({ drainTimeoutMs: 1000 });
    }
  });

  it('fails at once with RedisTlsError when the CA is wrong', async () => {
    const error = await createError(config({ ca: pki.otherCa, cert: pki.clientCert, key: pki.clientKey }));
    expect(error).toBeInstanceOf(RedisTlsError);
    expect((error as Error).message).toMatch(/sentinel tlsmaster via 127\.0\.0\.1:\d+: TLS handshake failed, certificate problem/);
  });
});
