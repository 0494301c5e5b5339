import type Redis from 'ioredis';
import { RedisServerHandle, spawnRedis, uniquePrefix, waitFor } from '../testing';
import { createQueue, CreateQueueOptions } from './create-queue';
import type { QueueObserver } from './queue-observer';
import type { Priority } from './queue.types';

describe('StoreBackedQueue observer', () => {
  test('publishBatch reports each run of one type and priority once, with its count', async () => {
    const calls: Array<[string, string, Priority, number]> = [];
    const queue = createQueue({
      name: 'observed',
      backend: { type: 'memory' },
      observer: { published: (q, type, priority, count) => calls.push([q, type, priority, count]) },
    });
    try {
      await queue.publishBatch([
        { type: 'a' },
        { type: 'a', priority: 'normal' },
        { type: 'a', priority: 'high' },
        { type: 'b', priority: 'high' },
        { type: 'b', priority: 'high' },
        { type: 'a' },
      ]);
      await queue.publish({ type: 'c', priority: 'low' });
      expect(calls).toEqual([
        ['observed', 'a', 'normal', 2],
        ['observed', 'a', 'high', 1],
        ['observed', 'b', 'high', 2],
        ['observed', 'a', 'normal', 1],
        ['observed', 'c', 'low', 1],
      ]);
    } finally {
      await queue.close();
    }
  });
});

describe.each(['memory', 'redis'] as const)('StoreBackedQueue observer: wait before a start (%s)', (backendType) => {
  let server: RedisServerHandle | undefined;
  let client: Redis | undefined;
  beforeAll(async () => {
    if (backendType === 'memory') return;
    server = await spawnRedis();
    client = server.client();
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.cleanup();
  });
  const backend = (): CreateQueueOptions['backend'] =>
    backendType === 'memory' ? { type: 'memory' } : { type: 'redis', client: client!, prefix: uniquePrefix('observer') };

  test('a first attempt waits from its publish, a delayed one from its due time; retries are not reported', async () => {
    const waits: Array<{ type: string; waitMs: number }> = [];
    const observer: QueueObserver = { started: (_q, type, _p, waitMs) => waits.push({ type, waitMs }) };
    const queue = createQueue({ name: 'waits', maxRetries: 1, backoff: { baseMs: 300, jitter: 0 }, backend: backend(), observer });
    const seen = new Map<string, { at: number; createdAt: number; attempt: number }[]>();
    const handler = (m: { type: string; createdAt: number; attempt: number }) => {
      const runs = seen.get(m.type) ?? [];
      runs.push({ at: Date.now(), createdAt: m.createdAt, attempt: m.attempt });
      seen.set(m.type, runs);
    };
    try {
      queue.process('now', (m) => handler(m));
      queue.process('later', (m) => handler(m));
      queue.process('again', (m) => {
        handler(m);
        if (m.attempt === 1) throw new Error('once more');
      });
      await queue.publish({ type: 'now' });
      await queue.publish({ type: 'later', delayMs: 1000 });
      await queue.publish({ type: 'again' });
      await waitFor(() => seen.get('later')?.length === 1 && seen.get('again')?.length === 2, 'every run');
      // one report per first attempt (the retry of "again" has none)
      expect(waits.map((w) => w.type).sort()).toEqual(['again', 'later', 'now']);
      // reported just before the handler ran: at most the time from publish (or due time) to that run
      const runOf = (type: string) => seen.get(type)![0];
      const waitOf = (type: string) => waits.find((w) => w.type === type)!.waitMs;
      expect(waitOf('now')).toBeLessThanOrEqual(runOf('now').at - runOf('now').createdAt);
      expect(waitOf('later')).toBeLessThanOrEqual(runOf('later').at - (runOf('later').createdAt + 1000));
      expect(runOf('later').at - runOf('later').createdAt).toBeGreaterThanOrEqual(1000);
    } finally {
      await queue.close();
    }
  });
});
