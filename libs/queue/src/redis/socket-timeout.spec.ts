/**
 * The socket timeout of the connections the library makes (`socketTimeoutMs`, ioredis
 * `socketTimeout`): the default, the check of the option, and the blocking connections' allowance
 * (their block time on top). What it does against a dead path: test/failover/dead-path.spec.ts.
 */
import Redis, { Cluster } from 'ioredis';
import { QueueConfigError } from '../errors';
import { createRedisClient, DEFAULT_SOCKET_TIMEOUT_MS, duplicateClient, RedisClient } from './redis-connection';
import { quietLogger } from '../testing';

describe('socketTimeoutMs', () => {
  const clients: RedisClient[] = [];
  afterEach(() => clients.splice(0).forEach((c) => c.disconnect()));
  // only the options are checked: nothing listens on port 1, and each client is dropped after its test
  const made = (client: RedisClient) => (clients.push(client), client);

  test('every client gets the default; duplicates keep it, blocking ones get their block time on top', () => {
    const client = made(createRedisClient({ port: 1, logger: quietLogger }));
    expect((client as Redis).options.socketTimeout).toBe(DEFAULT_SOCKET_TIMEOUT_MS);
    expect((made(duplicateClient(client)) as Redis).options.socketTimeout).toBe(DEFAULT_SOCKET_TIMEOUT_MS);
    expect((made(duplicateClient(client, { blocksUpToMs: 30_000 })) as Redis).options.socketTimeout).toBe(DEFAULT_SOCKET_TIMEOUT_MS + 30_000);
  });

  test('0 turns it off, also for the blocking duplicates', () => {
    const client = made(createRedisClient({ port: 1, socketTimeoutMs: 0, logger: quietLogger }));
    expect((client as Redis).options.socketTimeout).toBeUndefined();
    expect((made(duplicateClient(client, { blocksUpToMs: 30_000 })) as Redis).options.socketTimeout).toBeUndefined();
  });

  test("a Cluster client's node connections get it the same way", () => {
    const cluster = made(createRedisClient({ clusterNodes: [{ host: '127.0.0.1', port: 1 }], socketTimeoutMs: 2000, logger: quietLogger })) as Cluster;
    expect(cluster.options.redisOptions?.socketTimeout).toBe(2000);
    const blocking = made(duplicateClient(cluster, { blocksUpToMs: 5000 })) as Cluster;
    expect(blocking.options.redisOptions?.socketTimeout).toBe(7000);
    // the rest of the node options are kept
    expect(blocking.options.redisOptions?.keepAlive).toBe(cluster.options.redisOptions?.keepAlive);
  });

  test.each([-1, 1.5, Number.NaN, 2 ** 31])('%p is refused naming the option', (value) => {
    expect(() => createRedisClient({ port: 1, socketTimeoutMs: value, logger: quietLogger })).toThrow(QueueConfigError);
    expect(() => createRedisClient({ port: 1, socketTimeoutMs: value, logger: quietLogger })).toThrow(/redis\.socketTimeoutMs/);
  });
});
