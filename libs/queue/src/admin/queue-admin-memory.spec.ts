/** The operators' reads on the memory store: groups, rate limits and peek, as on Redis. */
import { createQueue } from '../queue/create-queue';
import type { StoreBackedQueue } from '../queue/task-queue';
import { waitFor } from '../testing';
import { queueLatency } from './queue-activity';
import { readQueueGroups } from './queue-groups';
import { readRateLimits } from './rate-limits';
import { groupsSeen, rateLimitsSeen } from './testing/admin-scenarios';

describe('groups on the memory store', () => {
  it('lists groups and sees grouped messages in the oldest ages like the Redis store', async () => {
    await groupsSeen(
      (options) => createQueue({ ...options, name: 'mem', backend: { type: 'memory' } }),
      async (queue) => ({ groups: await readQueueGroups(queue), latency: await queueLatency(queue, []) }),
    );
  });
});

describe('rate limits on the memory store', () => {
  it('reads limits, buckets and parked messages like the Redis store', async () => {
    let q: StoreBackedQueue | undefined;
    try {
      q = await rateLimitsSeen(
        (options) => createQueue({ ...options, name: 'mem', backend: { type: 'memory' } }),
        async (queue) => readRateLimits(queue, await queue.workers()),
      );
    } finally {
      await q?.close({ drainTimeoutMs: 0 });
    }
  });
});

describe('peek on the memory store', () => {
  it('reads tiers, delayed and completed like the Redis store', async () => {
    const q = createQueue({ name: 'mem', backend: { type: 'memory' } });
    const ids = await q.publishBatch([
      { type: 'a', payload: 1 },
      { type: 'a', payload: 2 },
    ]);
    const later = await q.publish({ type: 'b', delayMs: 60_000 });
    expect((await q.peek('normal', { limit: 1 })).items).toEqual([expect.objectContaining({ id: ids[0], type: 'a', payload: 1, attempts: 0 })]);
    expect((await q.peek('normal')).total).toBe(2);
    expect((await q.peek('delayed')).items).toEqual([expect.objectContaining({ id: later, type: 'b' })]);
    q.process('a', async (m) => ({ got: m.payload }));
    await waitFor(async () => (await q.peek('completed')).total === 2, 'two completed');
    expect((await q.peek('completed')).items.map((i) => i.result)).toEqual([{ got: 2 }, { got: 1 }]);
    await q.close();
  });
});
