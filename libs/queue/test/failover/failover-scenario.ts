import type { EventBus } from '../../src/events/event-bus';
import { createQueue } from '../../src/queue/create-queue';
import type { StoreBackedQueue } from '../../src/queue/task-queue';
import type { QueueLogger } from '../../src/logger';
import { RedisClient } from '../../src/redis/redis-connection';
import { sleep, waitFor } from '../../src/testing/wait';

/**
 * A queue failover run shared by the failover specs (CI-sized) and `bench/failover.ts` (full
 * size, figures for docs/guarantees.md): producers publish to every queue, workers of the same
 * process take the messages, the master is SIGKILLed after `killAfter` acknowledged publishes,
 * and the run goes on until `messages` were attempted. Then it waits until every acknowledged
 * message was processed (or `drainTimeoutMs` passes) and reports what happened.
 */
export interface QueueFailoverRun {
  /** Queue names (on a Cluster: one per master, so all three take part). */
  queues: string[];
  /** Publishes attempted in all at least (split over the queues); producers go on until the outage is over and 50 more per publisher were sent. */
  messages: number;
  /** Pause of each publisher between publishes (pacing; default none). */
  paceMs?: number;
  /** Acknowledged publishes before the kill. */
  killAfter: number;
  /** Concurrent publishers per queue (each awaits its publish before the next). */
  publishersPerQueue: number;
  client: RedisClient;
  prefix: string;
  /** SIGKILLs the master (of the first queue, on a Cluster). */
  kill(): Promise<void>;
  /** After the kill, while producers run: e.g. wait for the failover and restart the old master as a replica. */
  afterKill?(mark: (event: string) => void): Promise<void>;
  durability?: { replicas: number; timeoutMs: number };
  publishTimeoutMs?: number;
  visibilityTimeoutMs?: number;
  drainTimeoutMs?: number;
  logger?: QueueLogger;
  /**
   * Start the workers only once the outage is over, so what was acknowledged before the kill is
   * still queued then (a backlog): a message the failover lost is missing, not already processed.
   * `true`: every queue's workers; a list: the workers of those queues only.
   */
  deferWorkers?: boolean | string[];
  /** Event buses published to (one paced publisher each) and subscribed to while the queues run. */
  buses?: Array<{ name: string; bus: EventBus }>;
}

/** What one event bus did through the failover. */
export interface BusFailoverFigures {
  bus: string;
  attempted: number;
  acknowledged: number;
  rejected: number;
  /** Acknowledged events no subscriber got. */
  lost: number;
  /** Deliveries beyond the first. */
  duplicates: number;
  /** The longest gap between two deliveries around the kill. */
  deliveryStallMs: number;
  /** Deliveries after the outage ended (subscribers resumed on the new master). */
  deliveredAfterOutage: number;
}

/** Per queue: the longest gap between two acknowledged publishes, and between two completions. */
export interface QueueStall {
  queue: string;
  publishStallMs: number;
  /** When that longest publish gap ended, in ms after the kill. */
  publishStallEndMs: number;
  processStallMs: number;
  /** Publishes acknowledged between the kill and the end of `afterKill` (work that kept going). */
  acknowledgedDuringOutage: number;
}

export interface QueueFailoverFigures {
  attempted: number;
  acknowledged: number;
  /** Rejected publishes by error class (`PublishTimeoutError`, `DurabilityTimeoutError`, ...). */
  rejected: Record<string, number>;
  /** When the first 50 rejections after the kill happened, in ms after it. */
  rejectedAtMs: number[];
  /** Error messages that are not the library's typed errors (raw ioredis errors): must stay empty. */
  rawErrors: string[];
  /** Acknowledged publishes never processed. */
  lost: number;
  /** Handler runs beyond the first per message. */
  duplicates: number;
  /** Processed messages whose publish was rejected (stored after all). */
  processedUnacknowledged: number;
  /** From the kill to the first acknowledged publish on the first queue after it. */
  resumeMs: number;
  stalls: QueueStall[];
  killedAtAck: number;
  buses: BusFailoverFigures[];
  /** Events of `afterKill` (e.g. `promoted`, `restarted`), in ms after the kill. */
  marks: Record<string, number>;
}

const TYPED = new Set(['PublishTimeoutError', 'DurabilityTimeoutError']);

export async function runQueueFailover(run: QueueFailoverRun): Promise<QueueFailoverFigures> {
  const queues: StoreBackedQueue[] = run.queues.map((name) =>
    createQueue({
      name,
      backend: { type: 'redis', client: run.client, prefix: run.prefix },
      idleBlockMs: 200,
      visibilityTimeoutMs: run.visibilityTimeoutMs ?? 5000,
      publishTimeoutMs: run.publishTimeoutMs ?? 20_000,
      durability: run.durability,
      logger: run.logger,
    }),
  );
  const acknowledged = new Set<string>();
  const runs = new Map<string, number>();
  const rejected: Record<string, number> = {};
  const rawErrors: string[] = [];
  const ackTimes = run.queues.map(() => [] as number[]);
  const doneTimes = run.queues.map(() => [] as number[]);
  const deferred = (name: string) => run.deferWorkers === true || (Array.isArray(run.deferWorkers) && run.deferWorkers.includes(name));
  const startWorkers = (later: boolean) =>
    queues.forEach((queue, q) =>
      deferred(queue.name) !== later
        ? undefined
        : queue.process<string>(
            'f',
            async (m) => {
              runs.set(m.payload, (runs.get(m.payload) ?? 0) + 1);
              doneTimes[q].push(Date.now());
            },
            { concurrency: 8 },
          ),
    );
  startWorkers(false);
  let attempted = 0;
  let killAt = 0;
  let outageEnd = 0;
  let killedAtAck = 0;
  const marks: Record<string, number> = {};
  const rejectedAtMs: number[] = [];
  let killing: Promise<void> | undefined;
  const perQueue = Math.ceil(run.messages / run.queues.length);
  const publisher = async (q: number, lane: number) => {
    let afterOutage = 0;
    const more = (i: number) => i < perQueue || (killing !== undefined && (outageEnd === 0 || afterOutage < 50));
    for (let i = lane; more(i); i += run.publishersPerQueue) {
      if (outageEnd > 0) afterOutage++;
      if (run.paceMs) await sleep(run.paceMs);
      const payload = `${q}:${i}`;
      attempted++;
      try {
        await queues[q].publish({ type: 'f', payload });
        acknowledged.add(payload);
        ackTimes[q].push(Date.now());
      } catch (error) {
        const name = (error as Error).name;
        rejected[name] = (rejected[name] ?? 0) + 1;
        if (killAt > 0 && rejectedAtMs.length < 50) rejectedAtMs.push(Date.now() - killAt);
        if (!TYPED.has(name)) rawErrors.push(`${name}: ${(error as Error).message}`);
      }
      if (!killing && acknowledged.size >= run.killAfter) {
        killedAtAck = acknowledged.size;
        killAt = Date.now();
        killing = run
          .kill()
          .then(() => run.afterKill?.((event) => (marks[event] = Date.now() - killAt)))
          .finally(() => {
            outageEnd = Date.now();
            startWorkers(true);
          });
      }
    }
  };
  const busRuns = await Promise.all((run.buses ?? []).map(({ name, bus }) => watchBus(name, bus)));
  let producing = true;
  const busDrivers = busRuns.map((b) =>
    (async () => {
      for (let i = 0; producing; i++) {
        await sleep(run.paceMs ?? 1);
        b.attempted++;
        try {
          await b.bus.publish('failover', 'failover.tick', i);
          b.acknowledged.add(i);
        } catch {
          b.rejected++;
        }
      }
    })(),
  );
  try {
    await Promise.all(run.queues.flatMap((_, q) => Array.from({ length: run.publishersPerQueue }, (_unused, lane) => publisher(q, lane))));
    producing = false;
    await Promise.all(busDrivers);
    if (!killing) throw new Error(`the run ended before ${run.killAfter} publishes were acknowledged: no kill happened`);
    await killing;
    const missing = () => [...acknowledged].filter((p) => !runs.has(p));
    // Every acknowledged message processed, and nothing left queued or leased (so the late
    // re-deliveries of leases taken on the killed master have landed and count as duplicates).
    const settled = async () => {
      if (missing().length > 0) return false;
      const stats = await Promise.all(queues.map((queue) => queue.stats()));
      return stats.every((s) => s.processing_count === 0 && Object.values(s.queue_length).every((n) => n === 0));
    };
    await waitFor(settled, 'every acknowledged message processed', run.drainTimeoutMs ?? 60_000, 100).catch(() => undefined);
    // Events: wait until every acknowledged one arrived, or up to 15 s (pub/sub loses some by design).
    const eventsIn = () => busRuns.every((b) => [...b.acknowledged].every((i) => b.received.has(i)));
    await waitFor(eventsIn, 'every acknowledged event delivered', 15_000, 100).catch(() => undefined);
    const lost = missing().length;
    let duplicates = 0;
    let processedUnacknowledged = 0;
    for (const [payload, count] of runs) {
      duplicates += count - 1;
      if (!acknowledged.has(payload)) processedUnacknowledged++;
    }
    const firstAfterKill = ackTimes[0].find((t) => t >= killAt);
    return {
      attempted,
      acknowledged: acknowledged.size,
      rejected,
      rejectedAtMs,
      rawErrors,
      lost,
      duplicates,
      processedUnacknowledged,
      resumeMs: firstAfterKill === undefined ? -1 : firstAfterKill - killAt,
      killedAtAck,
      marks,
      buses: busRuns.map((b) => ({
        bus: b.name,
        attempted: b.attempted,
        acknowledged: b.acknowledged.size,
        rejected: b.rejected,
        lost: [...b.acknowledged].filter((i) => !b.received.has(i)).length,
        duplicates: [...b.received.values()].reduce((sum, n) => sum + n - 1, 0),
        deliveryStallMs: longestGap(b.times, killAt).gap,
        deliveredAfterOutage: b.times.filter((t) => t > outageEnd).length,
      })),
      stalls: run.queues.map((queue, q) => ({
        queue,
        publishStallMs: longestGap(ackTimes[q], killAt).gap,
        publishStallEndMs: longestGap(ackTimes[q], killAt).end - killAt,
        processStallMs: longestGap(doneTimes[q], killAt).gap,
        acknowledgedDuringOutage: ackTimes[q].filter((t) => t >= killAt && t <= outageEnd).length,
      })),
    };
  } finally {
    producing = false;
    await killing?.catch(() => undefined);
    await Promise.all(busRuns.map((b) => b.subscription.unsubscribe().catch(() => undefined)));
    await Promise.all(queues.map((queue) => queue.close({ drainTimeoutMs: 2000 }).catch(() => undefined)));
  }
}

interface BusRun {
  name: string;
  bus: EventBus;
  attempted: number;
  acknowledged: Set<number>;
  rejected: number;
  received: Map<number, number>;
  times: number[];
  subscription: { unsubscribe(): Promise<void> };
}

async function watchBus(name: string, bus: EventBus): Promise<BusRun> {
  const received = new Map<number, number>();
  const times: number[] = [];
  const subscription = await bus.subscribe<number>('failover', async (event) => {
    received.set(event.data, (received.get(event.data) ?? 0) + 1);
    times.push(Date.now());
  });
  return { name, bus, attempted: 0, acknowledged: new Set(), rejected: 0, received, times, subscription };
}

/** The longest pause between consecutive times from just before `from` on (the stall around the kill). */
function longestGap(times: number[], from: number): { gap: number; end: number } {
  const sorted = [...times].sort((a, b) => a - b);
  let start = sorted.findIndex((t) => t >= from);
  if (start < 0) return { gap: -1, end: from };
  start = Math.max(0, start - 1);
  let longest = { gap: 0, end: from };
  for (let i = start + 1; i < sorted.length; i++) if (sorted[i] - sorted[i - 1] > longest.gap) longest = { gap: sorted[i] - sorted[i - 1], end: sorted[i] };
  return longest;
}
