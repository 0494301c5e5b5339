/**
 * `ctx.extendLease(ms)` refuses what is not a lease a timer can keep (an integer of ms in
 * [1, 2^31 - 1]) with InvalidOptionError at `extendLease.ms`, before anything reaches the store: the
 * lease stays as it was, so a worker that dies afterwards still has its message delivered again.
 */
import { InvalidOptionError } from '../../errors';
import { createRedisClient, RedisClient } from '../../redis/redis-connection';
import { spawnRedis, RedisServerHandle, uniquePrefix, waitFor, deferred, quietLogger } from '../../testing';
import { createQueue } from '../create-queue';
import type { HandlerContext } from '../queue.types';
import type { StoreBackedQueue } from '../task-queue';

jest.setTimeout(60_000);

const BAD_MS: unknown[] = [Infinity, 1e12, 2 ** 31, NaN, 'abc', 0, -1, 1.5, null];

/** What a call of `extendLease(ms)` did: the error it rejected with, or 'resolved'. */
async function attempt(ctx: HandlerContext, ms: unknown): Promise<unknown> {
  return (ctx.extendLease as (ms: unknown) => Promise<void>)(ms).then(
    () => 'resolved',
    (error: unknown) => error,
  );
}

describe('extendLease(ms) on the memory store', () => {
  it.each(BAD_MS)('refuses %p naming extendLease.ms; the handler still completes', async (ms) => {
    const queue = createQueue({ name: 'lease', backend: { type: 'memory' }, logger: quietLogger });
    const outcome = deferred<unknown>();
    queue.process('t', async (_m, ctx) => outcome.resolve(await attempt(ctx, ms)));
    try {
      const id = await queue.publish({ type: 't', payload: null });
      const error = await outcome.promise;
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ path: 'extendLease.ms', expected: 'an integer in [1, 2147483647]' });
      await waitFor(async () => (await queue.getStatus(id))?.state === 'completed', 'the message completes');
    } finally {
      await queue.close({ drainTimeoutMs: 100 });
    }
  });

  it('accepts an integer in range and no argument', async () => {
    const queue = createQueue({ name: 'lease', backend: { type: 'memory' }, logger: quietLogger });
    const outcome = deferred<unknown[]>();
    queue.process('t', async (_m, ctx) => outcome.resolve([await attempt(ctx, 60_000), await attempt(ctx, undefined), await attempt(ctx, 2 ** 31 - 1)]));
    try {
      await queue.publish({ type: 't', payload: null });
      expect(await outcome.promise).toEqual(['resolved', 'resolved', 'resolved']);
    } finally {
      await queue.close({ drainTimeoutMs: 100 });
    }
  });
});

describe('extendLease(ms) on Redis', () => {
  let server: RedisServerHandle;
  const clients: RedisClient[] = [];
  const queues: StoreBackedQueue[] = [];
  beforeAll(async () => {
    server = await spawnRedis();
  });
  afterEach(async () => {
    await Promise.all(queues.splice(0).map((q) => q.close({ drainTimeoutMs: 100 })));
    clients.splice(0).forEach((c) => c.disconnect());
  });
  afterAll(() => server.cleanup());

  const open = (prefix: string): StoreBackedQueue => {
    const client = createRedisClient({ url: server.url, logger: quietLogger });
    clients.push(client);
    const queue = createQueue({ name: 'lease', backend: { type: 'redis', client, prefix }, visibilityTimeoutMs: 1000, idleBlockMs: 200, logger: quietLogger });
    queues.push(queue);
    return queue;
  };

  it.each([Infinity, 1e12, NaN, 'abc'])(
    'refuses %p before anything is sent; the lease is unchanged and the message runs again once its worker died',
    async (ms) => {
      const prefix = uniquePrefix('extend-lease');
      const first = open(prefix);
      const refused = deferred<unknown>();
      const hang = new Promise<void>(() => undefined);
      first.process('t', async (_m, ctx) => {
        refused.resolve(await attempt(ctx, ms));
        await hang; // the worker "dies" holding the message: no acknowledgement, no renewal
      });
      const id = await first.publish({ type: 't', payload: null });
      const error = await refused.promise;
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ path: 'extendLease.ms', found: ms });
      // the lease is the one the fetch gave (within the visibility timeout), not pushed out
      const [held] = (await first.peek('inflight')).items;
      expect(held).toMatchObject({ id, attempts: 1 });
      expect(held.at).toBeLessThanOrEqual(Date.now() + 1000);
      // the worker dies: it fetches nothing more, its connection goes, nothing renews or
      // acknowledges its lease (close waits for the hung handler longer than the test runs)
      const dying = first.close({ drainTimeoutMs: 1500 });
      clients[0].disconnect();
      const second = open(prefix);
      const again = deferred<number>();
      second.process('t', async (m) => again.resolve(m.attempt));
      expect(await again.promise).toBe(2);
      await waitFor(async () => (await second.getStatus(id))?.state === 'completed', 'the redelivered message completes');
      await dying;
    },
  );
});
