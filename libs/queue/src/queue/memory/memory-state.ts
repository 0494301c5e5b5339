import { Deque } from '../../util/deque';
import { DueTimes } from './due-times';
import { MemoryGroups } from './memory-groups';
import { decodeHeader } from '../message-codec';
import { DEFAULT_PRIORITY_INDEX } from '../queue-options';
import type { DeliveryRef, StoreLimits } from '../queue-store';

/**
 * Everything one {@link MemoryQueueStore} holds (what the keys of a queue hold on Redis), and the
 * small steps its parts share: where a ready id goes, what a message's header says, lease
 * bookkeeping, counters and the wake-up of idle workers. The store's parts (fetch, dead letters,
 * inspection) all work on one instance of it.
 */
export class MemoryQueueState {
  readonly tiers = [new Deque<string>(), new Deque<string>(), new Deque<string>(), new Deque<string>()];
  /** Per tier: ids of rate-limited types held back (as the `parked` lists of rate-limit.lua). */
  readonly parked = [new Deque<string>(), new Deque<string>(), new Deque<string>(), new Deque<string>()];
  readonly msgs = new Map<string, string>();
  readonly inflight = new DueTimes();
  /** id -> lease token of its delivery, while in flight. */
  readonly leases = new Map<string, string>();
  /** Progress of the delivery in flight (its lease token with it; dropped when the lease ends). */
  readonly progressOf = new Map<string, { lease: string; json: string; at: number }>();
  readonly progressListeners = new Set<(eventJson: string) => void>();
  /** Worker registry: id -> last heartbeat and record. */
  readonly workerRecords = new Map<string, { seenAt: number; record: string }>();
  readonly delayed = new DueTimes();
  readonly att = new Map<string, number>();
  readonly errors = new Map<string, string>();
  readonly results = new Map<string, { record: string; at: number }>();
  readonly dlq = new Map<string, { at: number; info: string }>();
  readonly idempotency = new Map<string, { id: string; expiresAt: number }>();
  readonly counters: Record<string, number> = {};
  /** Rate limit name -> token bucket state (theoretical arrival time, ms; see RateBuckets). */
  readonly buckets = new Map<string, number>();
  /** Grouped ready messages and the rotation of groups (docs/queue.md, "Groups"). */
  readonly groups = new MemoryGroups();
  /** id -> group of each grouped delivery in flight. */
  readonly inflightGroup = new Map<string, string>();
  paused = false;
  private token = false;
  private waiters: Array<() => void> = [];

  constructor(
    readonly limits: StoreLimits,
    readonly deadLetterEnabled: boolean,
  ) {}

  /** Resolves on the next wake-up (or at once for one that came while nobody waited), or after `timeoutMs`. */
  waitForWork(timeoutMs: number): Promise<null> {
    if (this.token) {
      this.token = false;
      return Promise.resolve(null);
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(null);
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.push(done);
    });
  }

  /** Ends every pending wait. */
  interruptWait(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Wakes one waiting worker, or keeps the wake-up for the next wait. */
  wakeOne(): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter();
    else this.token = true;
  }

  /** True while the message is in flight under this delivery's lease token. */
  holds(ref: DeliveryRef): boolean {
    return this.leases.get(ref.id) === ref.lease;
  }

  endLease(id: string): void {
    this.inflight.delete(id);
    this.leases.delete(id);
    this.progressOf.delete(id);
  }

  /** A ready id to the tail (or `head`) of its tier, or of its group's list there. */
  ready(id: string, head: boolean): void {
    const t = this.tierOf(id);
    const group = this.groupOfBody(id);
    if (group !== undefined) this.groups.push(t, group, [id], head);
    else if (head) this.tiers[t].unshift(id);
    else this.tiers[t].push(id);
  }

  /** A delivery ended (completed, failed, put back, lease expired): its group has one fewer in flight. */
  groupEnded(id: string): void {
    if (this.inflightGroup.size === 0) return;
    const group = this.inflightGroup.get(id);
    if (group === undefined) return;
    this.inflightGroup.delete(id);
    if (this.groups.ended(group)) this.wakeOne();
  }

  groupOfBody(id: string): string | undefined {
    const body = this.msgs.get(id);
    return body === undefined ? undefined : decodeHeader(body)?.header.group;
  }

  tierOf(id: string): number {
    const body = this.msgs.get(id);
    return body ? (decodeHeader(body)?.header.priority ?? DEFAULT_PRIORITY_INDEX) : DEFAULT_PRIORITY_INDEX;
  }

  maxRetriesOf(id: string): number {
    const body = this.msgs.get(id);
    return body ? (decodeHeader(body)?.header.maxRetries ?? -1) : -1;
  }

  /** The task type of a message (null: no body, or none readable). */
  typeOf(id: string): string | null {
    const body = this.msgs.get(id);
    return body === undefined ? null : (decodeHeader(body)?.header.type ?? null);
  }

  /** Forgets a message that is neither retried nor dead-lettered. */
  drop(id: string): void {
    this.msgs.delete(id);
    this.att.delete(id);
    this.errors.delete(id);
    this.count('dropped', 1);
  }

  /** ms until the next delayed message is due or lease expires (null: none). */
  nextWake(now: number): number | null {
    const times = [this.delayed.firstDue(), this.inflight.firstDue()].filter((t): t is number => t !== null);
    return times.length === 0 ? null : Math.max(0, Math.min(...times) - now);
  }

  count(name: string, n: number): void {
    this.counters[name] = (this.counters[name] ?? 0) + n;
  }
}
