import { ChangeWaiter } from '../change-waiter';
import type { AdvanceStep, DueBatch, SchedulerStore, StoredSchedulerCounts, StoredSchedules } from '../scheduler-store';

/**
 * {@link SchedulerStore} inside one process: step for step what the Lua scripts do. Several
 * schedulers may share one instance (replicas inside one process).
 */
export class MemorySchedulerStore implements SchedulerStore {
  private readonly rec = new Map<string, string>();
  private readonly next = new Map<string, number>();
  private readonly once = new Map<string, { dueAt: number; info: string }>();
  private readonly active = new Map<string, number>();
  private readonly counters: Record<string, number> = {};
  private readonly waiter = new ChangeWaiter();

  async upsertRecurring(key: string, definitionJson: string, sig: string, nextRunAt: number): Promise<boolean> {
    const old = this.rec.get(key);
    let keep = false;
    let json = definitionJson;
    if (old !== undefined) {
      try {
        const previous = JSON.parse(old) as { sig?: string; createdAt?: number; anchor?: number };
        keep = previous.sig === sig && this.next.has(key);
        if (keep) json = JSON.stringify({ ...JSON.parse(definitionJson), createdAt: previous.createdAt, anchor: previous.anchor });
      } catch {
        keep = false;
      }
    }
    this.rec.set(key, json);
    if (!keep) this.next.set(key, nextRunAt);
    this.waiter.wake();
    return old === undefined;
  }

  async removeRecurring(key: string): Promise<boolean> {
    const existed = this.rec.delete(key);
    this.next.delete(key);
    if (existed) this.waiter.wake();
    return existed;
  }

  async due(limit: number, onceAfter: number): Promise<DueBatch> {
    const now = Date.now();
    const sorted = [...this.next].sort((a, b) => a[1] - b[1]);
    const items = sorted
      .filter(([, at]) => at <= now)
      .slice(0, limit)
      .map(([key, occurrence]) => ({ key, occurrence, definition: this.rec.get(key) ?? null }));
    const onceDue: string[] = [];
    let wait: number | null = null;
    const consider = (at: number) => {
      if (at > now && (wait === null || at - now < wait)) wait = at - now;
    };
    for (const [, at] of sorted) consider(at);
    for (const [id, o] of this.once) {
      if (o.dueAt < now - 60_000) this.once.delete(id);
      else if (o.dueAt > onceAfter && o.dueAt <= now) onceDue.push(id);
      else consider(o.dueAt);
    }
    return { now, items, waitMs: wait, onceDue };
  }

  async nudgeQueue(): Promise<void> {
    // the memory queue wakes its workers with exact timers
  }

  async advance(steps: readonly AdvanceStep[]): Promise<boolean[]> {
    return steps.map((step) => {
      if (this.next.get(step.key) !== step.occurrence) return false;
      this.next.set(step.key, step.nextRunAt);
      this.count(step.fired ? 'total' : 'skipped');
      return true;
    });
  }

  async addOnce(id: string, dueAt: number, info: string): Promise<void> {
    this.once.set(id, { dueAt, info });
    this.count('total');
    this.waiter.wake();
  }

  async removeOnce(id: string): Promise<boolean> {
    return this.once.delete(id);
  }

  async list(): Promise<StoredSchedules> {
    const now = Date.now();
    for (const [id, o] of this.once) if (o.dueAt <= now) this.once.delete(id);
    return {
      once: [...this.once].map(([id, o]) => ({ id, dueAt: o.dueAt, info: o.info })),
      recurring: [...this.rec].map(([key, definition]) => ({ key, nextRunAt: this.next.get(key) ?? -1, definition })),
    };
  }

  async taskStarted(token: string, ttlMs: number): Promise<void> {
    this.active.set(token, Date.now() + ttlMs);
  }

  async taskEnded(token: string, outcome: 'completed' | 'failed'): Promise<void> {
    this.active.delete(token);
    this.count(outcome);
  }

  async counts(): Promise<StoredSchedulerCounts> {
    const now = Date.now();
    for (const [token, until] of this.active) if (until <= now) this.active.delete(token);
    const once = [...this.once.values()].filter((o) => o.dueAt > now).length;
    return { counters: { ...this.counters }, active: this.active.size, once, recurring: this.rec.size };
  }

  waitForChange(timeoutMs: number): Promise<void> {
    return this.waiter.wait(timeoutMs);
  }

  interruptWait(): void {
    this.waiter.wake();
  }

  async close(): Promise<void> {
    this.waiter.wake();
  }

  private count(name: string): void {
    this.counters[name] = (this.counters[name] ?? 0) + 1;
  }
}
