import { randomUUID } from 'crypto';
import { ChangeWaiter } from '../../scheduler/change-waiter';
import type { DispatcherStore, FinishInput, InitRecord, Reply, ResultEntry } from '../dispatcher-store';

interface ServiceResults {
  entries: ResultEntry[];
  /** Read by an instance, not acknowledged yet. */
  pending: Map<string, ResultEntry>;
  waiter: ChangeWaiter;
}

/**
 * What dispatchers in one process share on the memory backend (statuses, results per service,
 * replies per instance). Give the same hub to every dispatcher that should see the others.
 */
export class MemoryDispatchHub {
  readonly statuses = new Map<string, { fields: Record<string, string>; expiresAt: number }>();
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

/** {@link DispatcherStore} in one process: step for step what the Lua scripts do. */
export class MemoryDispatcherStore implements DispatcherStore {
  readonly replyAddress = randomUUID();

  constructor(
    private readonly hub: MemoryDispatchHub,
    private readonly service: string,
    private readonly retentionMs: number,
    private readonly resultsMaxLen: number,
  ) {}

  async init(records: InitRecord[]): Promise<void> {
    const now = Date.now();
    for (const r of records) {
      const s = this.record(this.service, r.taskId, true)!;
      const defaults: Record<string, string> = { taskId: r.taskId, type: r.type, queue: r.queue, createdAt: String(now), state: 'pending',
        attempts: '0', updatedAt: String(now) };
      for (const [k, v] of Object.entries(defaults)) if (!(k in s.fields)) s.fields[k] = v;
      s.expiresAt = now + this.retentionMs;
    }
  }

  async forget(taskIds: string[]): Promise<void> {
    for (const id of taskIds) this.hub.statuses.delete(`${this.service}|${id}`);
  }

  async started(origin: string, taskId: string, attempt: number, messageId: string): Promise<void> {
    const now = Date.now();
    this.update(origin, taskId, { state: 'processing', attempts: String(attempt), messageId, startedAt: String(now), updatedAt: String(now) });
  }

  async attemptFailed(origin: string, taskId: string, attempt: number, errorJson: string): Promise<void> {
    this.update(origin, taskId, { state: 'retrying', attempts: String(attempt), error: errorJson, updatedAt: String(Date.now()) });
  }

  async finish(f: FinishInput): Promise<boolean> {
    const now = Date.now();
    const written = this.update(f.origin, f.taskId, { state: f.ok ? 'completed' : 'failed', [f.ok ? 'result' : 'error']: f.valueJson,
      attempts: String(f.attempts), finishedAt: String(now), updatedAt: String(now), taskId: f.taskId, type: f.type });
    if (!written) return false;
    const results = this.hub.resultsOf(f.origin);
    results.entries.push({ entryId: String(++this.hub.seq), taskId: f.taskId, type: f.type, ok: f.ok, valueJson: f.valueJson,
      attempts: f.attempts, finishedAt: now, webhookUrl: f.webhookUrl });
    if (results.entries.length > this.resultsMaxLen) results.entries.shift();
    results.waiter.wake();
    if (f.replyTo) {
      const replies = this.hub.repliesOf(f.replyTo);
      replies.items.push({ taskId: f.taskId, ok: f.ok, valueJson: f.valueJson });
      replies.waiter.wake();
    }
    return true;
  }

  async status(taskId: string): Promise<Record<string, string> | null> {
    const s = this.record(this.service, taskId, false);
    return s ? { ...s.fields } : null;
  }

  async readResults(count: number, blockMs: number): Promise<ResultEntry[]> {
    const results = this.hub.resultsOf(this.service);
    if (results.entries.length === 0) await results.waiter.wait(blockMs);
    const taken = results.entries.splice(0, count);
    for (const e of taken) results.pending.set(e.entryId, e);
    return taken;
  }

  async ack(entryIds: string[]): Promise<void> {
    const results = this.hub.resultsOf(this.service);
    for (const id of entryIds) results.pending.delete(id);
  }

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
  }

  private record(origin: string, taskId: string, create: boolean): { fields: Record<string, string>; expiresAt: number } | null {
    const key = `${origin}|${taskId}`;
    const now = Date.now();
    let s = this.hub.statuses.get(key);
    if (s && s.expiresAt <= now) {
      this.hub.statuses.delete(key);
      s = undefined;
    }
    if (!s && create) this.hub.statuses.set(key, (s = { fields: {}, expiresAt: now + this.retentionMs }));
    return s ?? null;
  }

  /** Applies fields unless the task is final; false when it was. */
  private update(origin: string, taskId: string, fields: Record<string, string>): boolean {
    const s = this.record(origin, taskId, true)!;
    if (s.fields.state === 'completed' || s.fields.state === 'failed') return false;
    Object.assign(s.fields, fields);
    s.expiresAt = Date.now() + this.retentionMs;
    return true;
  }
}
