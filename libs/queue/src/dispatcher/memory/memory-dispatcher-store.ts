import { randomUUID } from 'crypto';
import { ChangeWaiter } from '../../scheduler/change-waiter';
import type { DispatcherStore, FinishInput, ProgressInput, Reply, ResultEntry } from '../dispatcher-store';

interface ServiceResults {
  entries: ResultEntry[];
  /** Read by an instance, not acknowledged yet. */
  pending: Map<string, ResultEntry>;
  waiter: ChangeWaiter;
}

/**
 * What dispatchers in one process share on the memory backend (once-markers of finished tasks,
 * results per service, replies per instance). Give the same hub to every dispatcher that should
 * see the others.
 */
export class MemoryDispatchHub {
  /** `<origin>|<taskId>` -> expiry of its once-marker. */
  readonly done = new Map<string, number>();
  readonly results = new Map<string, ServiceResults>();
  readonly replies = new Map<string, { items: Reply[]; waiter: ChangeWaiter }>();
  seq = 0;

  resultsOf(service: string): ServiceResults {
    let r = this.results.get(service);
    if (!r) this.results.set(service, (r = { entries: [], pending: new Map(), waiter: new ChangeWaiter() }));
    return r;
  }

  repliesOf(address: string): { items: Reply[]; waiter: ChangeWaiter } {
    let r = this.replies.get(address);
    if (!r) this.replies.set(address, (r = { items: [], waiter: new ChangeWaiter() }));
    return r;
  }
}

/**
 * {@link DispatcherStore} in one process: step for step what the Lua script does. One difference
 * from Redis: nothing takes over an entry that an open instance read and did not acknowledge (no
 * `claimIdleMs`, no renewal); the entries a store read and did not acknowledge are handed to the
 * other instances of the service (same hub) when it closes, at once.
 */
export class MemoryDispatcherStore implements DispatcherStore {
  readonly replyAddress = randomUUID();
  private nextSweep = 0;
  /** Ids of the entries this store read and has not acknowledged yet. */
  private readonly unacked = new Set<string>();

  constructor(
    private readonly hub: MemoryDispatchHub,
    private readonly service: string,
    private readonly retentionMs: number,
    private readonly resultsMaxLen: number,
  ) {}

  async finish(f: FinishInput): Promise<boolean> {
    const now = Date.now();
    const marker = `${f.origin}|${f.taskId}`;
    if ((this.hub.done.get(marker) ?? 0) > now) return false;
    this.hub.done.set(marker, now + this.retentionMs);
    this.sweepMarkers(now);
    const results = this.hub.resultsOf(f.origin);
    results.entries.push({
      entryId: String(++this.hub.seq),
      taskId: f.taskId,
      type: f.type,
      ok: f.ok,
      valueJson: f.valueJson,
      attempts: f.attempts,
      finishedAt: now,
      webhookUrl: f.webhookUrl,
      traceparent: f.traceparent,
      tracestate: f.tracestate,
    });
    if (results.entries.length > this.resultsMaxLen) results.entries.shift();
    results.waiter.wake();
    if (f.replyTo) {
      const replies = this.hub.repliesOf(f.replyTo);
      replies.items.push({ taskId: f.taskId, ok: f.ok, valueJson: f.valueJson });
      replies.waiter.wake();
    }
    return true;
  }

  async progress(p: ProgressInput): Promise<boolean> {
    const now = Date.now();
    if ((this.hub.done.get(`${p.origin}|${p.taskId}`) ?? 0) > now) return false;
    if (p.toResults) {
      const results = this.hub.resultsOf(p.origin);
      results.entries.push({
        entryId: String(++this.hub.seq),
        taskId: p.taskId,
        type: p.type,
        ok: true,
        valueJson: p.valueJson,
        attempts: p.attempt,
        finishedAt: now,
        progress: true,
      });
      if (results.entries.length > this.resultsMaxLen) results.entries.shift();
      results.waiter.wake();
    }
    if (p.replyTo) {
      const replies = this.hub.repliesOf(p.replyTo);
      replies.items.push({ taskId: p.taskId, ok: true, valueJson: p.valueJson, progress: true, attempt: p.attempt });
      replies.waiter.wake();
    }
    return p.toResults || p.replyTo !== undefined;
  }

  async readResults(count: number, blockMs: number): Promise<ResultEntry[]> {
    const results = this.hub.resultsOf(this.service);
    if (results.entries.length === 0) await results.waiter.wait(blockMs);
    const taken = results.entries.splice(0, count);
    for (const e of taken) {
      results.pending.set(e.entryId, e);
      this.unacked.add(e.entryId);
    }
    return taken;
  }

  async ack(entryIds: string[]): Promise<void> {
    const results = this.hub.resultsOf(this.service);
    for (const id of entryIds) {
      results.pending.delete(id);
      this.unacked.delete(id);
    }
  }

  /** Nothing takes a read entry over in memory: no renewal. */
  async renew(): Promise<void> {}

  async readReplies(blockMs: number): Promise<Reply[]> {
    const replies = this.hub.repliesOf(this.replyAddress);
    if (replies.items.length === 0) await replies.waiter.wait(blockMs);
    return replies.items.splice(0);
  }

  interrupt(): void {
    this.hub.resultsOf(this.service).waiter.wake();
    this.hub.repliesOf(this.replyAddress).waiter.wake();
  }

  async close(): Promise<void> {
    this.interrupt();
    this.hub.replies.delete(this.replyAddress);
    this.handBack();
  }

  /**
   * Puts the entries this store read and did not acknowledge back among the unread ones, in entry
   * order (what Redis does, after `claimIdleMs`, for a consumer that stopped): another instance of
   * the service reads them.
   */
  private handBack(): void {
    if (this.unacked.size === 0) return;
    const results = this.hub.resultsOf(this.service);
    for (const id of this.unacked) {
      const entry = results.pending.get(id);
      if (!entry) continue;
      results.pending.delete(id);
      results.entries.push(entry);
    }
    this.unacked.clear();
    results.entries.sort((a, b) => Number(a.entryId) - Number(b.entryId));
    results.waiter.wake();
  }

  /** Drops expired once-markers (at most once a second). */
  private sweepMarkers(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + 1000;
    for (const [key, expiresAt] of this.hub.done) if (expiresAt <= now) this.hub.done.delete(key);
  }
}
