import type { QueueLogger } from '../logger';
import type { RecordedError } from '../queue/queue.types';
import { parseJsonOr } from '../util/json';
import { RepeatedFailureLog } from '../util/repeat-log';
import { FailureBackoff, sleep } from '../util/retry';
import type { TaskProgress } from './dispatcher';
import { RemoteTaskError } from './dispatcher-errors';
import type { DispatcherStore, Reply } from './dispatcher-store';

/** A caller of `dispatchAndWait` waiting for its task's reply (and, when it asked, its progress). */
export interface Waiter {
  type: string;
  onProgress?: (progress: TaskProgress) => void;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * The caller side of request/reply: one loop reads this instance's replies (final outcomes and
 * progress reports) and hands each to the `dispatchAndWait` caller waiting for that task. A reply
 * or progress report read before its caller learnt the task id (the publish's answer came later)
 * is kept a while and handed over when the caller starts waiting.
 */
export class ReplyRouter {
  private readonly waiters = new Map<string, Waiter>();
  /** Replies read before their caller learnt the task id from its publish (rare race), kept a while. */
  private readonly early = new Map<string, { reply: Reply; at: number }>();
  /** Progress reports read before their caller learnt the task id (the handler ran before the publish answered), kept a while. */
  private readonly earlyProgress = new Map<string, { reports: Reply[]; at: number }>();
  private replyLoop?: Promise<void>;
  private closing = false;

  constructor(
    private readonly store: DispatcherStore,
    private readonly logger: QueueLogger,
    private readonly blockMs: number,
  ) {}

  /** Starts the reply loop (once; not after `close`). */
  start(): void {
    if (this.replyLoop || this.closing) return;
    this.replyLoop = (async () => {
      const backoff = new FailureBackoff(50);
      const failures = new RepeatedFailureLog(
        (line) => this.logger.error(line),
        (line) => this.logger.log(line),
        'reading replies',
      );
      while (!this.closing) {
        try {
          const replies = await this.store.readReplies(this.blockMs, this.waiters.size > 1);
          backoff.succeeded();
          failures.succeeded();
          for (const r of replies) this.deliverReply(r);
        } catch (error) {
          if (this.closing) break;
          const pause = backoff.failed();
          const message = (error as Error).message;
          failures.failed(message, `reading replies failed (retrying in ${pause} ms, repeats not logged): ${message}`);
          await sleep(pause);
        }
      }
    })();
  }

  /** Registers the waiter of `taskId` and hands it what was read for it before (progress reports, then the reply). */
  wait(taskId: string, waiter: Waiter): void {
    this.waiters.set(taskId, waiter);
    const reports = this.earlyProgress.get(taskId);
    this.earlyProgress.delete(taskId);
    for (const report of reports?.reports ?? []) this.deliverReply(report);
    const early = this.early.get(taskId);
    if (early) this.deliverReply(early.reply);
  }

  /** Drops the waiter of `taskId` (its caller gave up); false when there was none (the reply came first). */
  forget(taskId: string): boolean {
    return this.waiters.delete(taskId);
  }

  /** Stops the loop after its current read and rejects every waiter with `reason(taskId)`. */
  close(reason: (taskId: string) => Error): void {
    this.closing = true;
    for (const [taskId, w] of this.waiters) w.reject(reason(taskId));
    this.waiters.clear();
  }

  /** Resolves when the reply loop has ended (at once when it never started). */
  async stopped(): Promise<void> {
    await this.replyLoop;
  }

  private deliverReply(r: Reply): void {
    const waiter = this.waiters.get(r.taskId);
    if (r.progress) {
      // a progress report: the wait goes on. One for no waiter may have beaten the publish's answer: kept a minute (at most 100 per task)
      if (!waiter) {
        const now = Date.now();
        for (const [id, e] of this.earlyProgress) if (e.at < now - 60_000 || this.earlyProgress.size > 1000) this.earlyProgress.delete(id);
        const kept = this.earlyProgress.get(r.taskId) ?? { reports: [], at: now };
        if (kept.reports.length < 100) kept.reports.push(r);
        this.earlyProgress.set(r.taskId, kept);
        return;
      }
      if (!waiter.onProgress) return;
      const report: TaskProgress = {
        taskId: r.taskId,
        type: waiter.type,
        progress: parseJsonOr(r.valueJson, r.valueJson),
        attempt: r.attempt ?? 1,
        at: Date.now(),
      };
      try {
        waiter.onProgress(report);
      } catch (error) {
        this.logger.error(`progress callback failed for task ${r.taskId}: ${(error as Error).message}`);
      }
      return;
    }
    if (!waiter) {
      // the reply beat the publish's answer to this process, or its caller gave up: keep it a minute
      const now = Date.now();
      for (const [id, e] of this.early) if (e.at < now - 60_000 || this.early.size > 1000) this.early.delete(id);
      this.early.set(r.taskId, { reply: r, at: now });
      return;
    }
    this.waiters.delete(r.taskId);
    this.early.delete(r.taskId);
    const value = parseJsonOr(r.valueJson, r.valueJson);
    if (r.ok) waiter.resolve(value);
    else waiter.reject(new RemoteTaskError(r.taskId, waiter.type, value as RecordedError));
  }
}
