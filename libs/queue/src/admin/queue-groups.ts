import type { StoreBackedQueue } from '../queue/task-queue';
import type { StoredGroup } from '../queue/queue-store';
import { PRIORITIES, Priority } from '../queue/queue.types';

/** One group of a queue (docs/queue.md, "Groups"). */
export interface QueueGroupInfo {
  group: string;
  /** Ready messages per tier. */
  tiers: Record<Priority, number>;
  /** Sum of the four tiers. */
  waiting: number;
  /** Messages in flight. */
  running: number;
  /** Out of the rotation at `groupConcurrency` until one of its deliveries ends. */
  blocked: boolean;
  /** ms since the oldest message at the heads of its lists was published (null: none waits). */
  oldestWaitingMs: number | null;
}

/** The groups of a queue with ready messages or in flight (`QueueAdmin.queueGroups`). */
export interface QueueGroups {
  queue: string;
  /** The configured limit of messages in flight per group (null: none). */
  groupConcurrency: number | null;
  /** Groups in a rotation (summed over tiers), blocked, with messages in flight (the `groups` of `QueueAdmin.info`). */
  counts: { ready: number; blocked: number; running: number };
  /** Most in flight first, then most waiting, then by name; at most `limit`. */
  items: QueueGroupInfo[];
  /** More groups than listed: the list was cut at `limit`, or a rotation had more than `limit` groups. */
  more: boolean;
}

/**
 * The groups of a queue: those of the first `limit` places of each tier's rotation, the blocked ones
 * and those with messages in flight, each with its ready messages per tier, in flight and age.
 */
export async function readQueueGroups(queue: StoreBackedQueue, limit = 100, now = Date.now()): Promise<QueueGroups> {
  const [list, stats] = await Promise.all([queue.groupList(limit), queue.stats()]);
  const items = list.items
    .map((g) => groupInfo(g, now))
    .sort((a, b) => b.running - a.running || b.waiting - a.waiting || (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
  return {
    queue: queue.options.name,
    groupConcurrency: queue.options.groupConcurrency > 0 ? queue.options.groupConcurrency : null,
    counts: { ready: stats.groups_ready, blocked: stats.groups_blocked, running: stats.groups_running },
    items: items.slice(0, limit),
    more: list.more || items.length > limit,
  };
}

function groupInfo(g: StoredGroup, now: number): QueueGroupInfo {
  const tiers = {} as Record<Priority, number>;
  PRIORITIES.forEach((p, i) => (tiers[p] = g.ready[i]));
  return {
    group: g.group,
    tiers,
    waiting: g.ready.reduce((a, b) => a + b, 0),
    running: g.running,
    blocked: g.blocked,
    oldestWaitingMs: g.oldestAt === null ? null : Math.max(0, now - g.oldestAt),
  };
}
