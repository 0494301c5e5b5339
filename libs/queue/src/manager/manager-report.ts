import type { QueueAppConfig } from '../config/config.types';
import type { EventBus } from '../events/event-bus';
import type { LocalEventBus } from '../events/local/local-event-bus';
import { RedisStreamEventBus } from '../events/redis-stream/redis-stream-bus';
import type { QueueLogger } from '../logger';
import type { MetricsSnapshot } from '../metrics/queue-metrics';
import { PRIORITIES, QueueStats, TaskQueue } from '../queue/queue.types';
import type { Scheduler } from '../scheduler/scheduler';
import type { ManagerState, ManagerStats } from './manager.types';
import { within } from '../util/retry';
import type { RedisConnections } from './redis-connections';

/**
 * What the reports below read of the manager. `QueueManager` has it; it is spelled out here
 * because `queue-manager.ts` imports this file (importing it back would make an import cycle).
 */
export interface ReportedManager {
  readonly logger: QueueLogger;
  readonly config: QueueAppConfig;
  readonly state: ManagerState;
  readonly redis: RedisConnections | null;
  readonly handlerCount: number;
  readonly localEvents: LocalEventBus;
  readonly queues: TaskQueue[];
}

const SUMMED = [
  'total_published',
  'total_processed',
  'total_failed',
  'total_retried',
  'total_dead_letter',
  'total_dropped',
  'dead_letter_trimmed',
  'processing_count',
  'delayed_count',
  'dead_letter_count',
  'outbox_size',
  'groups_ready',
  'groups_blocked',
  'groups_running',
] as const;

/** Adds up queue stats (per tier for `queue_length`). */
export function sumQueueStats(all: QueueStats[]): QueueStats {
  const sum = { queue_length: { critical: 0, high: 0, normal: 0, low: 0 } } as QueueStats;
  for (const key of SUMMED) sum[key] = 0;
  for (const s of all) {
    for (const key of SUMMED) sum[key] += s[key];
    for (const p of PRIORITIES) sum.queue_length[p] += s.queue_length[p];
  }
  return sum;
}

/**
 * Per-queue stats of every queue. A queue whose backend does not answer (within `timeoutMs` when
 * given: Redis commands wait while Redis is away) is left out, and logged while the manager's Redis
 * connections are all ready (while one is not, the outage is logged once already: a scrape every
 * few seconds would add a line per queue each time).
 */
export async function queueStats(manager: ReportedManager, queues: Map<string, TaskQueue>, timeoutMs?: number): Promise<Record<string, QueueStats>> {
  const out: Record<string, QueueStats> = {};
  await Promise.all(
    [...queues].map(async ([name, q]) => {
      try {
        out[name] = await (timeoutMs ? within(q.stats(), timeoutMs, `stats of queue ${name}`) : q.stats());
      } catch (error) {
        if (redisReady(manager)) manager.logger.warn(`stats of queue ${name} failed: ${(error as Error).message}`);
      }
    }),
  );
  return out;
}

/** Whether every Redis connection of the manager is ready (true without Redis). */
function redisReady(manager: ReportedManager): boolean {
  return (manager.redis?.states() ?? []).every((s) => s.status === 'ready');
}

export async function collectStats(
  manager: ReportedManager,
  queues: Map<string, TaskQueue>,
  bus: EventBus | undefined,
  local: LocalEventBus,
  scheduler: Scheduler | undefined,
): Promise<ManagerStats> {
  const c = manager.config;
  const stats: ManagerStats = { service: c.service_name, state: manager.state, local_event_bus: local.stats() };
  if (c.message_queue.enabled) {
    const per = await queueStats(manager, queues);
    stats.message_queue = { ...sumQueueStats(Object.values(per)), queues: per };
  }
  if (bus) stats.event_bus = { ...bus.stats(), type: bus.type };
  if (scheduler) stats.task_scheduler = await scheduler.stats();
  if (c.task_dispatcher.enabled) {
    stats.task_dispatcher = {
      routes: Object.keys(c.task_dispatcher.routes).length,
      routing_enabled: c.task_dispatcher.enable_routing,
      callbacks_enabled: c.task_dispatcher.enable_callbacks,
      handled_types: manager.handlerCount,
    };
  }
  if (manager.redis) stats.redis = { connections: manager.redis.states() };
  return stats;
}

/**
 * The values of the scrape-time gauges (Redis reads and the connections' PINGs bounded by
 * `health.ping_timeout_ms`, so a scrape answers while Redis is away or stalled).
 */
export async function metricsSnapshot(manager: ReportedManager, queues: Map<string, TaskQueue>, bus: EventBus | undefined): Promise<MetricsSnapshot> {
  const bound = manager.config.health.ping_timeout_ms;
  // the reads at once, so a scrape while Redis is away takes one bound, not three
  const probe = manager.redis?.probe(bound) ?? Promise.resolve([]);
  const lagRead = streamLag(manager, bus, bound);
  const per = await queueStats(manager, queues, bound);
  const snapshot: MetricsSnapshot = {
    queues: Object.entries(per).map(([queue, s]) => ({
      queue,
      depth: s.queue_length,
      inFlight: s.processing_count,
      delayed: s.delayed_count,
      deadLetters: s.dead_letter_count,
    })),
    // Read locally, so it is there while Redis is away (when it matters).
    queueOutbox: [...queues].map(([queue, q]) => ({ queue, size: (q as { outboxSize?: number }).outboxSize ?? 0 })),
    // ready and answering a PING within the bound (a stalled Redis keeps its connections ready)
    redis: await probe,
    eventBuses: [manager.localEvents, ...(bus && bus !== manager.localEvents ? [bus] : [])].map((b) => ({ bus: b.type, dropped: b.stats().dropped })),
  };
  if (bus) snapshot.outbox = [{ bus: bus.type, size: bus.stats().outbox_size }];
  const lag = await lagRead;
  if (lag) snapshot.streamLag = lag;
  return snapshot;
}

/** This service's consumer-group lag per channel of a `redis_stream` bus; undefined for another bus, or when Redis did not answer within `bound`. */
async function streamLag(manager: ReportedManager, bus: EventBus | undefined, bound: number): Promise<MetricsSnapshot['streamLag']> {
  if (!(bus instanceof RedisStreamEventBus || (bus && bus.type === 'redis_stream'))) return undefined;
  try {
    const lags = await within((bus as RedisStreamEventBus).lag(), bound, 'stream lag');
    return lags.filter((l) => l.group === manager.config.service_name && l.lag !== null).map((l) => ({ channel: l.channel, lag: l.lag as number }));
  } catch {
    return undefined; // Redis unreachable: the connection gauge says so
  }
}

/** One check of readiness. */
export interface ReadinessCheck {
  name: string;
  ok: boolean;
  detail: Record<string, unknown>;
}

/**
 * Readiness: this process can serve. The manager is running and Redis answers PING within
 * `health.ping_timeout_ms` on ready connections. Queue backlog and dead letters are not part of it
 * (a busy platform would take every replica out of load balancing): see `queueHealth`.
 */
export async function readiness(manager: ReportedManager): Promise<{ ok: boolean; checks: ReadinessCheck[] }> {
  const h = manager.config.health;
  const checks: ReadinessCheck[] = [];
  checks.push({ name: 'manager', ok: manager.state === 'running', detail: { state: manager.state } });
  if (manager.redis) {
    const connections = manager.redis.states();
    let ping: Record<string, unknown>;
    let pingOk = false;
    try {
      const ms = await manager.redis.ping(h.ping_timeout_ms);
      ping = { pingMs: Math.round(ms * 100) / 100 };
      pingOk = true;
    } catch (error) {
      ping = { error: (error as Error).message };
    }
    const allReady = connections.every((c) => c.status === 'ready');
    checks.push({ name: 'redis', ok: pingOk && allReady, detail: { ...ping, connections } });
  }
  return { ok: checks.every((c) => c.ok), checks };
}

/**
 * The queues report: one check per queue, its pending messages (all tiers) against
 * `health.max_pending` and its dead letters against `health.max_dead_letters` (queue stats bounded
 * by `health.ping_timeout_ms`). The same thresholds are Prometheus alerts; this is never a probe.
 */
export async function queueHealth(manager: ReportedManager): Promise<{ ok: boolean; checks: ReadinessCheck[] }> {
  const h = manager.config.health;
  const checks: ReadinessCheck[] = [];
  if (manager.config.message_queue.enabled && manager.state !== 'stopped') {
    const per = await queueStats(manager, new Map(manager.queues.map((q) => [q.name, q])), h.ping_timeout_ms);
    for (const q of manager.queues) {
      const s = per[q.name];
      if (!s) {
        checks.push({ name: `queue:${q.name}`, ok: false, detail: { error: 'stats unavailable' } });
        continue;
      }
      const pending = PRIORITIES.reduce((n, p) => n + s.queue_length[p], 0);
      const ok = pending <= h.max_pending && s.dead_letter_count <= h.max_dead_letters;
      checks.push({
        name: `queue:${q.name}`,
        ok,
        detail: { pending, maxPending: h.max_pending, deadLetters: s.dead_letter_count, maxDeadLetters: h.max_dead_letters },
      });
    }
  }
  return { ok: checks.every((c) => c.ok), checks };
}
