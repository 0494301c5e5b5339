import type { Redis } from 'ioredis';
import { createQueue, RedisOutOfMemoryError } from '../../src';
import { RedisServerHandle, spawnRedis, uniquePrefix } from '../../src/testing';
import { waitFor } from '../support/wait';

/**
 * Redis at its memory limit (`maxmemory`, policy `noeviction`, as the library asks): it refuses
 * commands that add data. Publishes must be refused with a typed error and store nothing, while
 * workers keep taking, acknowledging, retrying and renewing leases, which frees memory. Before,
 * the fetch script's first write (promoting a due retry or delayed message) was refused, so every
 * fetch failed for as long as memory stayed full: the queue stopped with due messages in it.
 */
describe('a queue on a Redis at maxmemory (noeviction)', () => {
  let server: RedisServerHandle;
  let admin: Redis;
  beforeAll(async () => {
    server = await spawnRedis({ args: ['--maxmemory-policy', 'noeviction'] });
    admin = server.client();
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.cleanup();
  });

  test('publishes are refused with RedisOutOfMemoryError and store nothing; workers drain ready, delayed, retried and long-running messages, each once', async () => {
    const client = server.client();
    const queue = createQueue({
      name: 'full',
      backend: { type: 'redis', client, prefix: uniquePrefix('full') },
      backoff: { baseMs: 20, maxMs: 20, jitter: 0 },
      // short leases: the long handlers below outlive several, so their renewals must go through
      visibilityTimeoutMs: 600,
    });
    try {
      await queue.publishBatch(Array.from({ length: 1000 }, (_, i) => ({ type: 't', payload: { i, fails: i % 10 === 0, longMs: i % 250 === 1 ? 1500 : 0 } })));
      await queue.publishBatch(Array.from({ length: 200 }, (_, i) => ({ type: 't', payload: { i: 1000 + i, fails: false, longMs: 0 }, delayMs: 300 })));
      // full from here on: any command that adds data is refused
      await admin.config('SET', 'maxmemory', '1');
      const refused = await queue.publish({ type: 't', payload: { i: -1, fails: false, longMs: 0 } }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(RedisOutOfMemoryError);
      expect(refused).toMatchObject({ code: 'REDIS_OOM', operation: 'script mq publish' });
      await expect(queue.publishBatch([{ type: 't' }, { type: 't' }])).rejects.toBeInstanceOf(RedisOutOfMemoryError);
      expect((await queue.stats()).total_published).toBe(1200);
      // operators can still pause and resume
      await queue.pause();
      await queue.resume();

      const succeeded = new Map<number, number>();
      const attempts = new Map<number, number>();
      queue.process<{ i: number; fails: boolean; longMs: number }>(
        't',
        async (m) => {
          const { i, fails, longMs } = m.payload;
          attempts.set(i, (attempts.get(i) ?? 0) + 1);
          if (fails && m.attempt === 1) throw new Error('first attempt fails');
          if (longMs > 0) await new Promise((resolve) => setTimeout(resolve, longMs));
          succeeded.set(i, (succeeded.get(i) ?? 0) + 1);
        },
        { concurrency: 10 },
      );
      await waitFor(() => succeeded.size === 1200, 'every message processed', 30_000);
      await waitFor(async () => (await queue.stats()).total_processed === 1200, 'every acknowledgement stored');
      const stats = await queue.stats();
      expect(stats).toMatchObject({ total_retried: 100, total_dead_letter: 0, processing_count: 0, delayed_count: 0 });
      expect([...succeeded.values()].every((n) => n === 1)).toBe(true);
      // the long runs kept their leases: one attempt each
      expect([1, 251, 501, 751].map((i) => attempts.get(i))).toEqual([1, 1, 1, 1]);
      expect((await admin.info('memory')).includes('maxmemory:1\r')).toBe(true);
      // memory given back: publishes are accepted again
      await admin.config('SET', 'maxmemory', '0');
      await queue.publish({ type: 't', payload: { i: 2000, fails: false, longMs: 0 } });
      await waitFor(() => succeeded.has(2000), 'a publish after the limit was raised');
    } finally {
      await admin.config('SET', 'maxmemory', '0');
      await queue.close();
      client.disconnect();
    }
  }, 60_000);
});
