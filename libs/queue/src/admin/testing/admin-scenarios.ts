/**
 * Scenarios the admin specs run on every store (memory, Redis, Cluster, a partitioned queue): a
 * queue's rate limits and parked messages, and its groups, read the way the operators' tools read them.
 */
import { createQueue } from '../../queue/create-queue';
import type { QueueOptions } from '../../queue/queue-options';
import type { StoreBackedQueue } from '../../queue/task-queue';
import type { RedisClient } from '../../redis/redis-connection';
import { deferred, waitFor } from '../../testing';
import { QueueAdmin } from '../queue-admin';
import type { QueueLatency } from '../queue-activity';
import { QueueGroups, readQueueGroups } from '../queue-groups';
import type { QueueRateLimits } from '../rate-limits';

export const SLOW = { max: 2, perMs: 60_000 };

/**
 * Shared by Redis, Cluster and memory: 'slow' limited by the options (2 a minute), 'capped' by its
 * handler (1 a minute, high tier), 'fast' unlimited. Once the tokens are spent the rest is parked,
 * and the read shows the limits, their empty buckets and the parked messages per tier and type.
 */
export async function rateLimitsSeen(
  open: (options: Omit<QueueOptions, 'name'>) => StoreBackedQueue,
  read: (queue: StoreBackedQueue) => Promise<QueueRateLimits>,
) {
  const q = open({ rateLimits: { slow: SLOW } });
  await q.publishBatch([
    ...Array.from({ length: 5 }, () => ({ type: 'slow' })),
    ...Array.from({ length: 3 }, () => ({ type: 'fast' })),
    ...Array.from({ length: 2 }, () => ({ type: 'capped', priority: 'high' as const })),
  ]);
  const before = await read(q);
  expect(before.parked.total).toBe(0);
  expect(before.limits).toEqual([
    expect.objectContaining({ name: 'slow', max: 2, perMs: 60_000, configured: true, workers: 0, tokens: 2, nextTokenInMs: 0, fullInMs: 0, parked: 0 }),
  ]);
  const done: string[] = [];
  const started = Date.now();
  q.process('slow', async () => void done.push('slow'));
  q.process('fast', async () => void done.push('fast'));
  q.process('capped', async () => void done.push('capped'), { rateLimit: { max: 1, perMs: 60_000 } });
  const r = await waitFor(async () => {
    const r = await read(q);
    return done.length >= 6 && r.parked.total === 4 && r.limits.every((l) => l.workers === 1) && r;
  }, 'the limited messages parked and the worker seen');
  expect(done.sort()).toEqual(['capped', 'fast', 'fast', 'fast', 'slow', 'slow']);
  expect(r.parked).toEqual({ total: 4, tiers: { critical: 0, high: 1, normal: 3, low: 0 }, byType: { slow: 3, capped: 1 }, counted: 4 });
  const [capped, slow] = r.limits;
  expect(capped).toMatchObject({ name: 'capped', scope: 'type', max: 1, perMs: 60_000, configured: false, workers: 1, mismatch: false, tokens: 0, parked: 1 });
  expect(slow).toMatchObject({ name: 'slow', scope: 'type', max: 2, perMs: 60_000, configured: true, workers: 1, mismatch: false, tokens: 0, parked: 3 });
  // a token every 30 s (slow) / 60 s (capped), counted from the first take
  const elapsed = Date.now() - started;
  expect(slow.nextTokenInMs).toBeGreaterThan(30_000 - elapsed - 1_000);
  expect(slow.nextTokenInMs).toBeLessThanOrEqual(30_000);
  expect(slow.fullInMs).toBeGreaterThan(60_000 - elapsed - 1_000);
  expect(slow.fullInMs).toBeLessThanOrEqual(60_000);
  expect(capped.nextTokenInMs).toBe(capped.fullInMs);
  expect(capped.nextTokenInMs).toBeGreaterThan(60_000 - elapsed - 1_000);
  // a bounded count: per tier always, per type over the first n
  expect((await q.rateState(2)).looked).toBe(2);
  return q;
}

export interface GroupsRead {
  groups: QueueGroups;
  latency: QueueLatency;
}

/**
 * Shared by memory, Redis, Cluster and a partitioned queue: groups 'a' (3 normal) and 'b' (1 high)
 * and one ungrouped low message, groupConcurrency 1. Before any worker the tiers' lists hold only the
 * ungrouped message, yet the oldest ages see the grouped ones; while held, 'a' is blocked with 2
 * waiting and its oldest still counts ('b', with none left, is not blocked); once released every
 * group is gone.
 */
export async function groupsSeen(open: (options: Omit<QueueOptions, 'name'>) => StoreBackedQueue, read: (queue: StoreBackedQueue) => Promise<GroupsRead>) {
  const q = open({ groupConcurrency: 1 });
  const release = deferred();
  try {
    await groupsOf(q, read, release.promise);
  } finally {
    release.resolve();
    await q.close({ drainTimeoutMs: 0 });
  }
}

/**
 * {@link groupsSeen} on Redis or Cluster, read through a QueueAdmin that knows the queue's
 * groupConcurrency (and `layout`, given to the queue too).
 */
export async function groupsSeenByAdmin(client: RedisClient, prefix: string, name: string, layout: Pick<QueueOptions, 'partitions'> = {}) {
  const admin = new QueueAdmin({ client, prefix, queueOptions: (queue) => ({ name: queue, groupConcurrency: 1, ...layout }) });
  try {
    await groupsSeen(
      (options) => createQueue({ ...options, name, ...layout, backend: { type: 'redis', client, prefix } }),
      async (queue) => ({ groups: await admin.queueGroups(queue.name), latency: (await admin.info(queue.name)).latency }),
    );
  } finally {
    await admin.close();
  }
}

async function groupsOf(q: StoreBackedQueue, read: (queue: StoreBackedQueue) => Promise<GroupsRead>, released: Promise<void>) {
  await q.publishBatch([
    ...Array.from({ length: 3 }, () => ({ type: 'work', group: 'a' })),
    { type: 'work', group: 'b', priority: 'high' as const },
    { type: 'work', priority: 'low' as const },
  ]);
  const before = await read(q);
  expect(before.groups.groupConcurrency).toBe(1);
  expect(before.groups.counts).toEqual({ ready: 2, blocked: 0, running: 0 });
  expect(before.groups.more).toBe(false);
  expect(before.groups.items).toEqual([
    expect.objectContaining({ group: 'a', tiers: { critical: 0, high: 0, normal: 3, low: 0 }, waiting: 3, running: 0, blocked: false }),
    expect.objectContaining({ group: 'b', tiers: { critical: 0, high: 1, normal: 0, low: 0 }, waiting: 1, running: 0, blocked: false }),
  ]);
  for (const g of before.groups.items) expect(g.oldestWaitingMs).not.toBeNull();
  // grouped messages are not in the tier lists: the oldest ages come from the groups' heads
  expect((await q.peek('normal')).total).toBe(0);
  // the bounds: no ring member read, no group seen (and more there); one listed of two
  expect(await q.groupList(0)).toEqual({ items: [], more: true });
  expect(await q.oldestWaiting(0)).toEqual([null, null, null, expect.any(Number)]);
  expect((await q.groupList(1)).items.map((g) => g.group).sort()).toEqual(['a', 'b']);
  expect(await readQueueGroups(q, 1)).toMatchObject({ more: true, items: [expect.objectContaining({ group: 'a', waiting: 3 })] });
  expect(before.latency.oldestWaitingMs).toEqual({ critical: null, high: expect.any(Number), normal: expect.any(Number), low: expect.any(Number) });
  let release!: () => void;
  const releasing = new Promise<void>((r) => (release = r));
  const started: string[] = [];
  q.process(
    'work',
    async (m) => {
      started.push(m.group ?? '-');
      await Promise.race([releasing, released]);
    },
    { concurrency: 4 },
  );
  const held = await waitFor(async () => {
    const r = await read(q);
    return started.length === 3 && r.groups.items.length === 2 && r.groups.items[0].blocked && r;
  }, "one of 'a' and 'b' held, 'a' blocked");
  expect(started.sort()).toEqual(['-', 'a', 'b']);
  expect(held.groups.counts).toEqual({ ready: 0, blocked: 1, running: 2 });
  expect(held.groups.items).toEqual([
    expect.objectContaining({ group: 'a', tiers: { critical: 0, high: 0, normal: 2, low: 0 }, waiting: 2, running: 1, blocked: true }),
    expect.objectContaining({ group: 'b', waiting: 0, running: 1, blocked: false }),
  ]);
  // a blocked group's waiting messages still count as waiting
  expect(held.latency.oldestWaitingMs).toEqual({ critical: null, high: null, normal: expect.any(Number), low: null });
  release();
  const after = await waitFor(async () => {
    const r = await read(q);
    return started.length === 5 && r.groups.items.length === 0 && r;
  }, 'every message done');
  expect(after.groups.counts).toEqual({ ready: 0, blocked: 0, running: 0 });
  expect(after.latency.oldestMs).toBeNull();
}
