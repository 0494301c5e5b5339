import type { Redis } from 'ioredis';
import { createDispatcher, createEventBus, createQueue, createScheduler, RedisOutOfMemoryError } from '../../src';
import { captureLogger } from '../support/capture-logger';
import { RedisServerHandle, spawnRedis, uniquePrefix } from '../../src/testing';
import { waitFor } from '../support/wait';

/**
 * Redis at its memory limit (`maxmemory`, policy `noeviction`, as the library asks): it refuses
 * commands that add data. Publishes must be refused with a typed error and store nothing, while
 * workers keep taking, acknowledging, retrying and renewing leases, which frees memory. Before,
 * the fetch script's first write (promoting a due retry or delayed message) was refused, so every
 * fetch failed for as long as memory stayed full: the queue stopped with due messages in it.
 */
describe('a queue, a dispatcher, a scheduler and a stream bus on a Redis at maxmemory (noeviction)', () => {
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
  test('dispatched tasks that run on a full Redis record their outcome: each runs once, its origin hears of it; a dispatch is refused', async () => {
    const client = server.client();
    const prefix = uniquePrefix('fulld');
    const dispatcher = createDispatcher({
      service: 'svc',
      backend: { type: 'redis', client, prefix, queuePrefix: prefix },
      routes: { work: { queue: 'svc' } },
    });
    try {
      const completed = new Set<string>();
      dispatcher.onCompleted('work', (task) => void completed.add(task.taskId));
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push(await dispatcher.dispatch('work', { i }));
      await admin.config('SET', 'maxmemory', '1');
      await expect(dispatcher.dispatch('work', { i: -1 })).rejects.toBeInstanceOf(RedisOutOfMemoryError);
      const runs = new Map<number, number>();
      dispatcher.handle<{ i: number }, number>('work', ({ i }) => {
        runs.set(i, (runs.get(i) ?? 0) + 1);
        return i;
      });
      // before, the outcome's write was refused: the task ran again, and its last attempt was dead-lettered unheard of
      await waitFor(() => completed.size === 20, 'every outcome delivered to the origin', 30_000);
      expect([...completed].sort()).toEqual([...ids].sort());
      expect([...runs.values()]).toEqual(Array.from({ length: 20 }, () => 1));
      expect((await dispatcher.getStatus(ids[0]))?.state).toBe('completed');
    } finally {
      await admin.config('SET', 'maxmemory', '0');
      await dispatcher.close();
      client.disconnect();
    }
  }, 60_000);
  test('callers waiting on a full Redis get their replies (BLMOVE, which moves a reply to a taken list, is refused there)', async () => {
    const client = server.client();
    const prefix = uniquePrefix('fullr');
    const open = () =>
      createDispatcher({ service: 'svc', backend: { type: 'redis', client, prefix, queuePrefix: prefix }, routes: { work: { queue: 'svc' } }, blockMs: 200 });
    const caller = open();
    const worker = open();
    const queue = createQueue({ name: 'svc', backend: { type: 'redis', client, prefix } });
    let release = () => undefined as void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    try {
      worker.handle<{ i: number }, number>('work', async ({ i }) => {
        if (i > 0) await gate;
        return i * 10;
      });
      // a reply read before the limit: the caller's taken list holds it until its next read
      await expect(caller.dispatchAndWait('work', { i: 0 })).resolves.toBe(0);
      const waits = [1, 2, 3, 4, 5].map((i) => caller.dispatchAndWait<number>('work', { i }, { timeoutMs: 20_000 }));
      await waitFor(async () => (await queue.stats()).total_published === 6, 'the five dispatches stored');
      await admin.config('SET', 'maxmemory', '1');
      release();
      await expect(Promise.all(waits)).resolves.toEqual([10, 20, 30, 40, 50]);
    } finally {
      await admin.config('SET', 'maxmemory', '0');
      await Promise.all([caller.close(), worker.close(), queue.close()]);
      client.disconnect();
    }
  }, 60_000);
  test('a dispatcher service that starts again on a full Redis runs its waiting tasks and hears of their outcome', async () => {
    const client = server.client();
    const prefix = uniquePrefix('fulldr');
    const open = () =>
      createDispatcher({ service: 'svc', backend: { type: 'redis', client, prefix, queuePrefix: prefix }, routes: { work: { queue: 'svc' } } });
    let dispatcher = open();
    try {
      dispatcher.onCompleted('work', () => undefined);
      await waitFor(
        async () => (String(await admin.call('XINFO', 'GROUPS', `${prefix}:{svc}:dsp:results`).catch(() => '')) as string).includes('svc'),
        'the results group',
      );
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push(await dispatcher.dispatch('work', { i }));
      await dispatcher.close();
      await admin.config('SET', 'maxmemory', '1');
      // the service starts again on the full Redis
      dispatcher = open();
      const completed = new Set<string>();
      dispatcher.onCompleted('work', (task) => void completed.add(task.taskId));
      dispatcher.handle<{ i: number }, number>('work', ({ i }) => i);
      await waitFor(() => completed.size === 20, 'every outcome delivered to the restarted origin', 30_000);
      expect([...completed].sort()).toEqual([...ids].sort());
    } finally {
      await admin.config('SET', 'maxmemory', '0');
      await dispatcher.close();
      client.disconnect();
    }
  }, 60_000);

  test('a recurring task is neither skipped nor logged at every try while publishes are refused, and runs again once they are accepted', async () => {
    const client = server.client();
    const prefix = uniquePrefix('fulls');
    const logger = captureLogger();
    const queue = createQueue({ name: 'jobs', backend: { type: 'redis', client, prefix } });
    // a long grace: the refused occurrence stays due (not "missed") however long the refusals last
    const scheduler = createScheduler({ backend: { type: 'redis', client, prefix }, queues: [queue], logger, missedGraceMs: 60_000 });
    try {
      let ticks = 0;
      queue.process('tick', () => void ticks++);
      await scheduler.schedule({ type: 'tick', queue: 'jobs' }, { everyMs: 100, key: 'tick' });
      await waitFor(() => ticks >= 2, 'two occurrences');
      const refusals = async () => Number(/errorstat_OOM:count=(\d+)/.exec(await admin.info('errorstats'))?.[1] ?? 0);
      const before = await refusals();
      await admin.config('SET', 'maxmemory', '1');
      // the loop tries the same occurrence again, backing off (100 ms doubling): one line for all tries,
      // no "works again" between them, the occurrence not skipped
      await waitFor(async () => (await refusals()) >= before + 4, 'four refused writes');
      expect(logger.matching('scheduler loop failed')).toHaveLength(1);
      expect(logger.matching('works again')).toHaveLength(0);
      expect(logger.matching('skipped:')).toHaveLength(0);
      await admin.config('SET', 'maxmemory', '0');
      const ticked = ticks;
      await waitFor(() => ticks >= ticked + 2, 'occurrences again once publishes are accepted', 15_000);
      expect(logger.matching('scheduler loop works again')).toHaveLength(1);
    } finally {
      await admin.config('SET', 'maxmemory', '0');
      await scheduler.close();
      await queue.close();
      client.disconnect();
    }
  }, 60_000);
  test('a stream bus: a publish is refused (not kept in the outbox); a subscriber that starts on a full Redis receives and acknowledges what waits', async () => {
    const publisherClient = server.client();
    const subscriberClient = server.client();
    const prefix = uniquePrefix('fullev');
    const publisher = createEventBus({ type: 'redis_stream', client: publisherClient, prefix, serviceName: 'p' });
    const open = () => createEventBus({ type: 'redis_stream', client: subscriberClient, prefix, serviceName: 's', blockMs: 200 });
    let subscriber = open();
    try {
      // the service's group exists (it subscribed once); then it stops, and 50 events wait for it
      await subscriber.subscribe('ch', () => undefined);
      await subscriber.close({ drainTimeoutMs: 100 });
      for (let i = 0; i < 50; i++) await publisher.publish('ch', 'tick', i);
      await admin.config('SET', 'maxmemory', '1');
      await expect(publisher.publish('ch', 'tick', -1)).rejects.toBeInstanceOf(RedisOutOfMemoryError);
      expect(publisher.stats().outbox_size).toBe(0);
      // the service starts again on the full Redis
      subscriber = open();
      const received: number[] = [];
      await subscriber.subscribe('ch', (event) => void received.push(event.data as number));
      await waitFor(() => received.length === 50, 'the 50 waiting events received on a full Redis');
      await waitFor(async () => {
        const pending = (await admin.call('XPENDING', `${prefix}:{ch}:stream`, 's')) as [number, ...unknown[]];
        return Number(pending[0]) === 0;
      }, 'every event acknowledged');
    } finally {
      await admin.config('SET', 'maxmemory', '0');
      await publisher.close({ drainTimeoutMs: 100 });
      await subscriber.close({ drainTimeoutMs: 100 });
      publisherClient.disconnect();
      subscriberClient.disconnect();
    }
  }, 60_000);
});
