import { PRIORITIES } from '../queue.types';

/**
 * Every Redis key of one queue. All share the hash tag `{name}`, so a queue lives in one slot of a
 * Redis Cluster and its Lua scripts can touch all of them. See docs/architecture.md for types and roles.
 * A partition of a partitioned queue is such a queue under its own tag (`name` here is that tag:
 * partitioned/partition-layout.ts).
 */
export class QueueKeys {
  readonly tiers: [string, string, string, string];
  readonly msgs: string;
  readonly inflight: string;
  readonly delayed: string;
  readonly att: string;
  readonly errors: string;
  readonly done: string;
  readonly results: string;
  readonly dlq: string;
  readonly dlqinfo: string;
  readonly stats: string;
  readonly meta: string;
  readonly leases: string;
  /** Progress of deliveries in flight: hash id -> "<lease token> <at> <JSON>" (lua/progress.lua). */
  readonly progress: string;
  readonly wake: string;
  /** Worker registry (operator tools): zset id -> last heartbeat, hash id -> record (lua/workers.lua). */
  readonly workers: string;
  readonly workerinfo: string;
  /** Rate limits: hash name ('*' or a task type) -> token bucket state (lua/includes/rate-limit.lua). */
  readonly rate: string;
  /** Per tier: ids of rate-limited types held back until a token is due (lua/includes/rate-limit.lua). */
  readonly parked: [string, string, string, string];
  /** Groups (lua/includes/groups.lua): per tier, the ring of groups served in turn ('~': the ungrouped messages). */
  readonly rings: [string, string, string, string];
  /** Groups: hash group -> its messages in flight. */
  readonly grun: string;
  /** Groups: set of the groups out of the rotation at their groupConcurrency limit. */
  readonly gblocked: string;
  /** Groups: hash tier (1..4) -> grouped ready messages. */
  readonly gqueued: string;
  private readonly base: string;

  constructor(prefix: string, name: string) {
    this.base = `${prefix}:{${name}}:`;
    this.tiers = PRIORITIES.map((p) => `${this.base}q:${p}`) as [string, string, string, string];
    this.msgs = `${this.base}msgs`;
    this.inflight = `${this.base}inflight`;
    this.delayed = `${this.base}delayed`;
    this.att = `${this.base}att`;
    this.errors = `${this.base}errors`;
    this.done = `${this.base}done`;
    this.results = `${this.base}results`;
    this.dlq = `${this.base}dlq`;
    this.dlqinfo = `${this.base}dlqinfo`;
    this.stats = `${this.base}stats`;
    this.meta = `${this.base}meta`;
    this.leases = `${this.base}leases`;
    this.progress = `${this.base}progress`;
    this.wake = `${this.base}wake`;
    this.workers = `${this.base}workers`;
    this.workerinfo = `${this.base}workerinfo`;
    this.rate = `${this.base}rate`;
    this.parked = PRIORITIES.map((p) => `${this.base}parked:${p}`) as [string, string, string, string];
    this.rings = PRIORITIES.map((p) => `${this.base}gring:${p}`) as [string, string, string, string];
    this.grun = `${this.base}grun`;
    this.gblocked = `${this.base}gblocked`;
    this.gqueued = `${this.base}gqueued`;
  }

  /** The ready messages of `group` in tier `tier` (0 critical .. 3 low), oldest first (computed by the scripts from grun). */
  groupList(tier: number, group: string): string {
    return `${this.base}g:${tier + 1}:${group}`;
  }

  /** The keys every script that moves grouped messages needs (includes/groups.lua), in header order. */
  groupKeys(): string[] {
    return [...this.rings, this.grun, this.gblocked, this.gqueued];
  }

  idempotency(key: string): string {
    return `${this.base}idem:${key}`;
  }

  /** Every fixed key (for deletion of a whole queue in tests and tools). */
  all(): string[] {
    return [
      ...this.tiers,
      this.msgs,
      this.inflight,
      this.delayed,
      this.att,
      this.errors,
      this.done,
      this.results,
      this.dlq,
      this.dlqinfo,
      this.stats,
      this.meta,
      this.leases,
      this.progress,
      this.wake,
      this.workers,
      this.workerinfo,
      this.rate,
      ...this.parked,
      ...this.rings,
      this.grun,
      this.gblocked,
      this.gqueued,
    ];
  }
}
