import { existsSync } from 'fs';
import { createServer, Server } from 'net';
import Redis from 'ioredis';
import { maskRedisUrl } from '../redis';
import { findRedisServerBinary, freePort, RedisServerProcess } from '../redis/redis-server-process';
import { spawnRedis, uniquePrefix } from './redis-harness';

describe('Redis test harness', () => {
  test('spawns a password-protected server and refuses clients without the password', async () => {
    const server = await spawnRedis({ password: 's3cret' });
    try {
      const good = server.client();
      expect(await good.ping()).toBe('PONG');
      good.disconnect();
      const bad = new Redis({ port: server.port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, disconnectTimeout: 10 });
      bad.on('error', () => undefined);
      await bad.connect().catch(() => undefined);
      await expect(bad.set('k', 'v')).rejects.toThrow(/NOAUTH|Stream isn't writeable|closed/);
      bad.disconnect();
      expect(maskRedisUrl(server.url)).not.toContain('s3cret');
    } finally {
      await server.cleanup();
    }
  });

  test('with AOF, data survives kill -9 and a restart on the same port', async () => {
    const server = await spawnRedis({ aof: true });
    try {
      const client = server.client();
      await client.set('survivor', 'yes');
      await server.kill();
      await server.restart();
      expect(await client.get('survivor')).toBe('yes');
      client.disconnect();
    } finally {
      await server.cleanup();
    }
  });

  test('without AOF, a restart starts empty', async () => {
    const server = await spawnRedis();
    try {
      const client = server.client();
      await client.set('gone', 'yes');
      await server.stop();
      await server.restart();
      expect(await client.get('gone')).toBeNull();
      client.disconnect();
    } finally {
      await server.cleanup();
    }
  });

  test('a restart whose port another server took meanwhile fails (it does not take that server for its own)', async () => {
    const server = await spawnRedis({ aof: true });
    let intruder: RedisServerProcess | undefined;
    try {
      await server.kill();
      // the port is free for a moment: another server binds it first
      intruder = await RedisServerProcess.start(findRedisServerBinary()!, { port: server.port });
      await expect(server.restart()).rejects.toThrow(`redis-server exited at start (port ${server.port})`);
    } finally {
      await intruder?.cleanup();
      await server.cleanup();
    }
  });

  test('unique prefixes do not repeat', () => {
    expect(uniquePrefix('a')).not.toBe(uniquePrefix('a'));
  });

  test('a Cluster node whose bus port (port + 10000) is taken, on a port given: start fails naming the port and leaves no data directory (on a free port it retries elsewhere)', async () => {
    const binary = findRedisServerBinary()!;
    // a free port below 55535 whose bus port can be held here
    let port = 0;
    let held: Server | undefined;
    while (!held) {
      const candidate = await freePort();
      if (candidate > 55535) continue;
      held = await new Promise<Server | undefined>((resolve) => {
        const server = createServer();
        server.once('error', () => resolve(undefined));
        server.listen(candidate + 10000, '127.0.0.1', () => resolve(server));
      });
      port = candidate;
    }
    try {
      const cluster = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'];
      const failure = await RedisServerProcess.start(binary, { port, args: cluster }).then(
        () => null,
        (error: Error) => error,
      );
      expect(failure?.message).toContain(`redis-server exited at start (port ${port})`);
      const dir = /see (.*)\/redis\.log/.exec(failure?.message ?? '')?.[1];
      expect(dir && existsSync(dir)).toBe(false);
    } finally {
      await new Promise((resolve) => held!.close(resolve));
    }
  });
});
