/**
 * `createRedisClient` checks its options before anything connects (QueueConfigError at
 * `redis.<key>`): a misspelt key, a port, db, timeout, TLS setting or node list of the wrong kind,
 * a url beside another host/port. And a `db` the server does not have stops the client with a
 * typed error when it connects, instead of writing to database 0.
 */
import Redis from 'ioredis';
import { QueueConfigError, RedisPermanentError } from '../errors';
import { spawnRedis, RedisServerHandle, quietLogger } from '../testing';
import { createRedisClient, RedisClient, RedisConnectionOptions, waitUntilReady } from './redis-connection';

jest.setTimeout(30_000);

describe('createRedisClient options', () => {
  const clients: RedisClient[] = [];
  afterEach(() => clients.splice(0).forEach((c) => c.disconnect()));
  // nothing listens on port 1: only the options are looked at, and each client is dropped after its test
  const create = (options: object) => () => clients.push(createRedisClient({ logger: quietLogger, ...options } as RedisConnectionOptions));

  it.each([
    [{ hostname: 'h', prot: 6411 }, 'redis.hostname'],
    [{ port: 1, prot: 6411 }, 'redis.prot'],
    [{ port: '6411' }, 'redis.port'],
    [{ port: 0 }, 'redis.port'],
    [{ port: 65536 }, 'redis.port'],
    [{ port: 1.5 }, 'redis.port'],
    [{ host: '' }, 'redis.host'],
    [{ host: 'a b' }, 'redis.host'],
    [{ port: 1, db: -1 }, 'redis.db'],
    [{ port: 1, db: 'x' }, 'redis.db'],
    [{ port: 1, db: 1.5 }, 'redis.db'],
    [{ port: 1, connectTimeoutMs: -5 }, 'redis.connectTimeoutMs'],
    [{ port: 1, connectTimeoutMs: Number.NaN }, 'redis.connectTimeoutMs'],
    [{ port: 1, connectTimeoutMs: 2 ** 31 }, 'redis.connectTimeoutMs'],
    [{ port: 1, socketTimeoutMs: '5000' }, 'redis.socketTimeoutMs'],
    [{ port: 1, tls: 'yes' }, 'redis.tls'],
    [{ port: 1, tls: 'false' }, 'redis.tls'],
    [{ port: 1, tls: null }, 'redis.tls'],
    [{ port: 1, tls: { verify: false } }, 'redis.tls.verify'],
    [{ port: 1, tls: { ca: 5 } }, 'redis.tls.ca'],
    [{ port: 1, tls: { rejectUnauthorized: 'no' } }, 'redis.tls.rejectUnauthorized'],
    [{ clusterNodes: '127.0.0.1:6411' }, 'redis.clusterNodes'],
    [{ clusterNodes: [{ host: '127.0.0.1' }] }, 'redis.clusterNodes[0].port'],
    [{ clusterNodes: [{ host: '127.0.0.1', port: 1, weight: 2 }] }, 'redis.clusterNodes[0]'],
    [{ clusterNodes: [{ host: '127.0.0.1', port: 1 }], db: 3 }, 'redis.db'],
    [{ sentinels: [{ host: '127.0.0.1', port: '26379' }], sentinelName: 'm' }, 'redis.sentinels[0].port'],
    [{ sentinels: [{ host: '127.0.0.1', port: 26379 }] }, 'redis.sentinelName'],
    [{ port: 1, connectionName: 'has space' }, 'redis.connectionName'],
    [{ port: 1, connectionName: '' }, 'redis.connectionName'],
    [{ port: 1, username: 5 }, 'redis.username'],
    [{ port: 1, password: 123 }, 'redis.password'],
    [{ url: 'http://127.0.0.1:1' }, 'redis.url'],
    [{ url: 6379 }, 'redis.url'],
    [{ url: 'redis://:pa/ss@127.0.0.1:1' }, 'redis.url'],
    [{ url: 'redis://127.0.0.1:70000' }, 'redis.url'],
    [{ url: 'redis://127.0.0.1:' }, 'redis.url'],
    [{ url: 'redis://127.0.0.1:1/x' }, 'redis.url'],
    [{ url: 'redis://127.0.0.1:1', host: 'other' }, 'redis.host'],
    [{ url: 'redis://127.0.0.1:1', port: 6411 }, 'redis.port'],
    [{ url: 'redis://127.0.0.1:1', db: 3 }, 'redis.db'],
    [{ port: 1, logger: {} }, 'redis.logger'],
    [{ port: 1, outageLog: {} }, 'redis.outageLog'],
  ])('%p is refused at %s', (options, path) => {
    expect(create(options)).toThrow(QueueConfigError);
    expect(create(options)).toThrow(expect.objectContaining({ code: 'QUEUE_CONFIG', path }));
    expect(clients).toHaveLength(0);
  });

  it('refuses options that are not an object', () => {
    expect(() => createRedisClient(null as unknown as RedisConnectionOptions)).toThrow(expect.objectContaining({ path: 'redis' }));
  });

  it('refuses a URL the client cannot parse without showing its password (it failed at connect with a raw TypeError holding it)', () => {
    const refused = (() => {
      try {
        create({ url: 'redis://user:s3cr/et@127.0.0.1:1' })();
      } catch (error) {
        return error as Error;
      }
    })();
    expect(refused).toBeInstanceOf(QueueConfigError);
    expect(refused?.message).toContain('redis.url: expected a redis:// or rediss:// URL');
    expect(refused?.message).toContain('percent-encode');
    expect(refused?.message).not.toContain('s3cr');
    expect(JSON.stringify(refused)).not.toContain('s3cr');
    expect(clients).toHaveLength(0);
  });

  it('never shows a password given as something else than a string', () => {
    expect(create({ port: 1, password: 123456 })).toThrow('redis.password: expected a string, got "(a number, not shown)"');
    expect(create({ port: 1, tls: { cert: 'c', key: 42 } })).toThrow(expect.objectContaining({ path: 'redis.tls.key', found: '(a number, not shown)' }));
  });

  it('accepts what the configuration passes: a url with the default host, port and db, absent values, empty node lists', () => {
    const fromConfig = { url: 'redis://127.0.0.1:1', host: '127.0.0.1', port: 6379, db: 0, username: undefined, sentinels: [], clusterNodes: [] };
    expect(create(fromConfig)).not.toThrow();
    expect(create({ port: 1, tls: { ca: undefined, cert: undefined, key: undefined, servername: undefined, rejectUnauthorized: undefined } })).not.toThrow();
    expect(create({ port: 1, tls: false, db: 15, connectTimeoutMs: 10, connectionName: 'svc:commands' })).not.toThrow();
    expect((clients[2] as Redis).options).toMatchObject({ port: 1, db: 15, connectTimeout: 10, connectionName: 'svc:commands' });
  });
});

describe('createRedisClient against a server', () => {
  let server: RedisServerHandle;
  let admin: Redis;
  beforeAll(async () => {
    server = await spawnRedis();
    admin = server.client();
  });
  afterAll(async () => {
    admin.disconnect();
    await server.cleanup();
  });

  it('a db the server does not have stops the client with a typed error; nothing is written to db 0', async () => {
    const client = createRedisClient({ host: server.host, port: server.port, db: 99, logger: quietLogger });
    try {
      const write = client.set('db-probe', 'lost?');
      const error = await waitUntilReady(client, 10_000).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RedisPermanentError);
      expect(error).toMatchObject({ code: 'REDIS_DB', message: expect.stringMatching(/has no database 99 .*redis\.db/) });
      await expect(write).rejects.toBeInstanceOf(RedisPermanentError);
      await expect(client.get('db-probe')).rejects.toBeInstanceOf(RedisPermanentError);
      expect(await admin.exists('db-probe')).toBe(0);
    } finally {
      client.disconnect();
    }
  });

  it('a db the server has is the one written to', async () => {
    const client = createRedisClient({ url: `${server.url}/3`, logger: quietLogger });
    try {
      await waitUntilReady(client, 10_000);
      await client.set('db-three', '3');
      expect(await admin.exists('db-three')).toBe(0);
      const three = new Redis(server.port, server.host, { db: 3 });
      expect(await three.get('db-three')).toBe('3');
      three.disconnect();
    } finally {
      client.disconnect();
    }
  });

  it('a misspelt port is refused instead of connecting to 127.0.0.1:6379', () => {
    expect(() => createRedisClient({ host: server.host, prot: server.port, logger: quietLogger } as RedisConnectionOptions)).toThrow(
      expect.objectContaining({ path: 'redis.prot', expected: expect.stringContaining('a known option (url, host, port, db') }),
    );
  });
});
