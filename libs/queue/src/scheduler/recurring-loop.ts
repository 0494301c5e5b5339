import type { QueueLogger } from '../logger';
import { partitionTagOfId } from '../queue/partitioned/partition-layout';
import { RepeatedFailureLog } from '../util/repeat-log';
import { FailureBackoff } from '../util/retry';
import { FirePass } from './fire-pass';
import { parseId } from './schedule-spec';
import type { SchedulerStore } from './scheduler-store';
import type { TaskSchedulerSettings } from './task-scheduler-settings';

/** Due occurrences read (and fired, in batches: fire-pass.ts) per pass of the loop. */
const BATCH = 100;

/**
 * The loop of a `TaskScheduler` that fires recurring tasks: it sleeps until the earliest next run
 * or a definition change, publishes the due occurrences of a pass with idempotency keys (one batch
 * per target queue) and then moves their next runs forward with one call of compare-and-sets
 * (exactly one run per occurrence: {@link FirePass}). On the way it wakes
 * the workers of the queues whose one-off tasks just became due.
 */
export class RecurringLoop {
  private readonly failures: RepeatedFailureLog;
  private running?: Promise<void>;
  private stopping = false;
  /** One-off tasks due up to this time (store clock) have had their queues woken. */
  private onceSeenUntil = 0;
  /**
   * Store time of the first of the passes this loop has run back to back (no wait, no failure in
   * between): occurrences due since then are late by its own backlog (more due than a pass reads),
   * not missed; lateness counts from it (see {@link FirePass.fire}).
   */
  private busySince?: number;
  private readonly pass: FirePass;

  constructor(
    private readonly store: SchedulerStore,
    private readonly settings: TaskSchedulerSettings,
    private readonly logger: QueueLogger,
    /** Logs a step that failed without stopping the loop (the scheduler's own warning line). */
    private readonly warn: (what: string, error: unknown) => void,
  ) {
    this.pass = new FirePass(store, settings, logger, warn);
    this.failures = new RepeatedFailureLog(
      (line) => this.logger.error(line),
      (line) => this.logger.log(line),
      'scheduler loop',
    );
  }

  /** Starts the loop (once; not after `stop`). */
  start(): void {
    if (this.running || this.stopping) return;
    this.running = this.run();
  }

  /** Ends the loop: its wait is interrupted, and the pass being fired finishes first. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.store.interruptWait();
    await this.running;
  }

  private async run(): Promise<void> {
    const backoff = new FailureBackoff(50);
    try {
      await this.settings.beforeLoop?.();
    } catch (error) {
      this.warn('change subscription (falling back to maxIdleMs wake-ups)', error);
    }
    while (!this.stopping) {
      try {
        const batch = await this.store.due(BATCH, this.onceSeenUntil);
        await this.nudge(batch.onceDue);
        this.onceSeenUntil = batch.now;
        const seenAt = this.busySince ?? batch.now;
        if (batch.items.length > 0) await this.pass.fire(batch.items, batch.now, seenAt);
        this.busySince = batch.items.length > 0 ? seenAt : undefined;
        // a pass works once its occurrences fired too (a Redis refusing every publish fails each pass after its read)
        backoff.succeeded();
        this.failures.succeeded();
        if (batch.items.length === 0 && !this.stopping) {
          await this.store.waitForChange(Math.min(this.settings.maxIdleMs, batch.waitMs ?? this.settings.maxIdleMs));
        }
      } catch (error) {
        if (this.stopping) break;
        this.busySince = undefined; // occurrences due while the store failed count as missed
        const pause = backoff.failed();
        const message = (error as Error).message;
        this.failures.failed(message, `scheduler loop failed (retrying in ${pause} ms, repeats not logged): ${message}`);
        await this.store.waitForChange(pause);
      }
    }
  }

  /** Wakes the workers of the queues whose one-off tasks just became due (promptness, not correctness). */
  private async nudge(onceIds: string[]): Promise<void> {
    // one wake-up per queue (per partition of a partitioned queue: the message id names it)
    const wakes = new Map<string, { queue: string; messageId: string }>();
    for (const id of onceIds) {
      const parsed = parseId(id);
      if (parsed?.kind === 'once') wakes.set(`${parsed.queue}\n${partitionTagOfId(parsed.queue, parsed.messageId)}`, parsed);
    }
    await Promise.all([...wakes.values()].map((w) => this.store.nudgeQueue(w.queue, w.messageId).catch((e) => this.warn(`wake-up of queue ${w.queue}`, e))));
  }
}
