import Redis from 'ioredis';
import { createRedisClient, RedisClient, waitUntilReady } from '../../src/redis/redis-connection';
import { spawnRedisSentinel, TestRedisSentinel } from '../../src/testing';
import { captureLogger } from '../support/capture-logger';

/*
 * Sentinel with ACL users only (the `default` user off on the master and on the sentinel): the
 * client logs in to both as `redis.username` with `redis.password` (config.schema: "ACL user (also
 * for Sentinel)"). Before, the sentinel login sent the password alone, as `default`, and was refused.
 */

const USER = 'svc';
const PASSWORD = 'svc-Secret-0815';

let set: TestRedisSentinel | undefined;
let client: RedisClient | undefined;

afterAll(async () => {
  client?.disconnect();
  await set?.cleanup();
});

async function onNode(host: string, port: number, auth: { username: string; password: string } | null, steps: (admin: Redis) => Promise<void>): Promise<void> {
  const admin = new Redis({ host, port, ...(auth ?? {}), lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await admin.connect();
    await steps(admin);
  } finally {
    admin.disconnect();
  }
}

test('the client logs in to the sentinel and to the master as the ACL user', async () => {
  set = await spawnRedisSentinel({ replicas: 0, sentinels: 1 });
  const [sentinel] = set.sentinelNodes;
  const { master } = set;
  const login = { username: USER, password: PASSWORD };
  await onNode(master.host, master.port, null, async (admin) => {
    await admin.call('ACL', 'SETUSER', USER, 'on', `>${PASSWORD}`, '~*', '&*', '+@all');
  });
  // the sentinel itself logs in to the master as that user, then nobody may use `default`
  await onNode(sentinel.host, sentinel.port, null, async (admin) => {
    await admin.call('SENTINEL', 'SET', set!.name, 'auth-user', USER);
    await admin.call('SENTINEL', 'SET', set!.name, 'auth-pass', PASSWORD);
    await admin.call('ACL', 'SETUSER', USER, 'on', `>${PASSWORD}`, '+@all');
  });
  await onNode(master.host, master.port, login, async (admin) => void (await admin.call('ACL', 'SETUSER', 'default', 'off')));
  await onNode(sentinel.host, sentinel.port, login, async (admin) => void (await admin.call('ACL', 'SETUSER', 'default', 'off')));

  const logger = captureLogger();
  client = createRedisClient({ sentinels: set.sentinelNodes, sentinelName: set.name, username: USER, password: PASSWORD, logger });
  client.on('error', () => undefined);
  await waitUntilReady(client, 20_000, 'Redis through the sentinel');
  await client.set('acl-sentinel', 'ok');
  expect(await client.get('acl-sentinel')).toBe('ok');
  expect(await client.call('ACL', 'WHOAMI')).toBe(USER);
});
