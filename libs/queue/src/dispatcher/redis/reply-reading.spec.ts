/**
 * How a caller instance reads its replies: moved to its taken list (not popped) and trimmed by the
 * next read, so that a read whose reply was lost, or that was sent again after a reconnect, loses
 * nothing and hands nothing out twice.
 */
import type { Redis } from 'ioredis';
import { RedisServerHandle, spawnRedis, uniquePrefix } from '../../testing';
import { dispatcherCommands, RedisDispatcherStore } from './redis-dispatcher-store';

let server: RedisServerHandle;
let admin: Redis;
beforeAll(async () => {
  server = await spawnRedis();
  admin = server.client();
});
afterAll(async () => {
  admin?.disconnect();
  await server?.cleanup();
});

describe('reading replies on Redis', () => {
  const reply = (taskId: string) => JSON.stringify({ t: taskId, ok: true, v: '1' });

  function openStore(): { store: RedisDispatcherStore; client: Redis; key: string; taken: string } {
    const client = server.client();
    const store = new RedisDispatcherStore({
      client,
      prefix: uniquePrefix('rr'),
      service: 'svc',
      retentionMs: 60_000,
      resultsMaxLen: 1000,
      claimIdleMs: 30_000,
    });
    return { store, client, key: store.keys.reply(store.replyAddress), taken: store.keys.taken(store.replyAddress) };
  }

  test('hands each reply out once, and keeps the last read in the taken list only until the next read', async () => {
    const { store, client, key, taken } = openStore();
    try {
      await admin.rpush(key, reply('a'), reply('b'), reply('c'));
      expect((await store.readReplies(1000, true)).map((r) => r.taskId)).toEqual(['a', 'b', 'c']);
      expect(await admin.lrange(taken, 0, -1)).toEqual([reply('a'), reply('b'), reply('c')]);
      expect(await admin.pttl(taken)).toBeGreaterThan(0);
      await admin.rpush(key, reply('d'));
      expect((await store.readReplies(1000, false)).map((r) => r.taskId)).toEqual(['d']);
      expect(await admin.lrange(taken, 0, -1)).toEqual([reply('d')]);
      // nothing waiting: the read blocks its time out and hands out nothing
      expect(await store.readReplies(50, true)).toEqual([]);
      expect(await admin.exists(taken)).toBe(0);
    } finally {
      await store.close();
      client.disconnect();
    }
  });

  test('what a read took without its reply arriving is handed out by the next read', async () => {
    const { store, client, key, taken } = openStore();
    try {
      await admin.rpush(key, reply('a'));
      expect((await store.readReplies(1000, false)).map((r) => r.taskId)).toEqual(['a']);
      // a read on the server whose reply never reached the store: what the BLMOVE took sits in the taken list
      await admin.rpush(key, reply('lost'));
      await admin.lmove(key, taken, 'LEFT', 'RIGHT');
      await admin.rpush(key, reply('next'));
      expect((await store.readReplies(1000, false)).map((r) => r.taskId)).toEqual(['lost', 'next']);
      expect(await admin.lrange(taken, 0, -1)).toEqual([reply('lost'), reply('next')]);
    } finally {
      await store.close();
      client.disconnect();
    }
  });

  test('take-replies sent twice trims what was handed out once (a read sent again after a reconnect)', async () => {
    const { store, client, key, taken } = openStore();
    const lua = dispatcherCommands();
    lua.install(admin);
    try {
      await admin.rpush(taken, reply('a'), reply('b'), reply('kept'));
      const args = [2, reply('a'), reply('b'), 0, 60_000];
      expect(await lua.run(admin, 'take-replies', [key, taken], args)).toEqual([reply('kept')]);
      expect(await lua.run(admin, 'take-replies', [key, taken], args)).toEqual([reply('kept')]);
      expect(await admin.lrange(taken, 0, -1)).toEqual([reply('kept')]);
    } finally {
      await store.close();
      client.disconnect();
    }
  });

  test('close removes the reply and taken lists', async () => {
    const { store, client, key, taken } = openStore();
    await admin.rpush(key, reply('a'), reply('b'));
    expect(await store.readReplies(1000, false)).toHaveLength(1);
    await store.close();
    client.disconnect();
    expect(await admin.exists(key, taken)).toBe(0);
  });
});
