import Redis from 'ioredis';
import { maskRedisUrl } from '../redis';
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

  test('unique prefixes do not repeat', () => {
    expect(uniquePrefix('a')).not.toBe(uniquePrefix('a'));
  });
});
