import { QueueManager, RedisTlsError } from '../../src';
import { spawnRedisCluster, TestRedisCluster, uniquePrefix } from '../../src/testing';
import { makeTestPki, TestPki } from '../support/tls-certs';
import { waitFor } from '../support/wait';
import { captureLogger, createError } from './capture-logger';

/*
 * Redis Cluster with TLS only (`tls-cluster yes`, client certificates required): `redis.tls`
 * reaches every node (ioredis `redisOptions.tls`), and a wrong CA fails at once.
 */
jest.setTimeout(60_000);

let pki: TestPki;
let cluster: TestRedisCluster;

beforeAll(async () => {
  pki = makeTestPki();
  cluster = await spawnRedisCluster(3, {
    tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, client: { cert: pki.clientCert, key: pki.clientKey } },
  });
});

afterAll(async () => {
  await cluster?.cleanup();
  pki?.cleanup();
});

function config(tls: unknown) {
  return {
    service_name: 'tls-cluster',
    redis: { cluster_nodes: cluster.nodes.map((n) => ({ host: n.host, port: n.port })), tls, key_prefix: uniquePrefix('tlsc'), connect_timeout_ms: 120_000 },
    message_queue: { queues: { second: {}, third: {} } },
    event_bus: { type: 'redis_stream' },
    metrics: { enabled: false },
  };
}

describe('redis.tls on a Redis Cluster', () => {
  it('publishes and processes on queues spread over the nodes, and streams events', async () => {
    const { logger } = captureLogger();
    const manager = await QueueManager.create(config({ ca: pki.ca, cert: pki.clientCert, key: pki.clientKey }), { env: {}, logger });
    try {
      const seen: string[] = [];
      for (const queue of ['meeting_system', 'second', 'third']) {
        manager.registerTaskHandler('echo', (payload: { q: string }) => void seen.push(payload.q), { queue });
      }
      const events: string[] = [];
      const subscribed = manager.subscribe('cluster.tls', (event) => void events.push(event.type)); // active at start
      await manager.start();
      await subscribed;
      for (const queue of ['meeting_system', 'second', 'third']) await manager.queue(queue).publish({ type: 'echo', payload: { q: queue } });
      await manager.publishEvent('cluster.tls', 'cluster.checked', {});
      await waitFor(() => seen.length === 3 && events.length === 1, 'tasks on three queues and one event over TLS');
    } finally {
      await manager.shutdown({ drainTimeoutMs: 1000 });
    }
  });

  it('fails at once with RedisTlsError when the CA is wrong', async () => {
    const error = await createError(config({ ca: pki.otherCa, cert: pki.clientCert, key: pki.clientKey }));
    expect(error).toBeInstanceOf(RedisTlsError);
    expect((error as Error).message).toMatch(/^Redis cluster 127\.0\.0\.1:\d+.*certificate problem/);
  });
});
