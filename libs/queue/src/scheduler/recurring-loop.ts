import { DurabilityTimeoutError, PayloadTooLargeError, QueueConfigError, QueueError } from '../errors';
import type { QueueLogger } from '../logger';
import { partitionTagOfId } from '../queue/partitioned/partition-layout';
import { RepeatedFailureLog } from '../util/repeat-log';
import { FailureBackoff } from '../util/retry';
import { nextOccurrence, parseId, readDefinition, RecurringDefinition } from './schedule-spec';
import type { DueRecurring, SchedulerStore } from './scheduler-store';
import type { TaskSchedulerSettings } from './task-scheduler-settings';

/** Due occurrences read per step of the loop. */
const BATCH = 100;

/**
 * The loop of a `TaskScheduler` that fires recurring tasks: it sleeps until the earliest next run
 * or a definition change, publishes each due occurrence with an idempotency key and then moves the
 * next run forward with a compare-and-set (exactly one run per occurrence). On the way it wakes
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
   * not missed; lateness counts from it (see {@link fireOrThrow}).
   */
  private busySince?: number;

  constructor(
    private readonly store: SchedulerStore,
    private readonly settings: TaskSchedulerSettings,
    private readonly logger: QueueLogger,
    /** Logs a step that failed without stopping the loop (the scheduler's own warning line). */
    private readonly warn: (what: string, error: unknown) => void,
  ) {
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

  /** Ends the loop: its wait is interrupted, and the occurrence being fired finishes first. */
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
        for (const item of batch.items) {
          if (this.stopping) break;
          await this.fire(item, batch.now, seenAt);
        }
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

  /** Handles one due occurrence; the CAS in `advance` makes exactly one replica count it. */
  private async fire(item: DueRecurring, now: number, seenAt: number): Promise<void> {
    try {
      await this.fireOrThrow(item, now, seenAt);
    } catch (error) {
      // Redis trouble (unreachable, out of memory, a publish timeout...): the loop backs off and tries
      // the same occurrence again (its idempotency key stores it once)
      if (!unpublishable(error)) throw error;
      // A task that can never be published (unknown queue, payload too large...): skip the occurrence, keep the others going.
      this.logger.error(`recurring task "${item.key}": occurrence ${new Date(item.occurrence).toISOString()} skipped: ${error.message}`);
      const def = readDefinition(item.definition);
      if (typeof def !== 'string') await this.store.advance(item.key, item.occurrence, nextOccurrence(def, Math.max(now, item.occurrence)), false);
    }
  }

  /** `seenAt`: when this loop, busy since then, could first have fired it; missed when over `missedGraceMs` late by then. */
  private async fireOrThrow(item: DueRecurring, now: number, seenAt: number): Promise<void> {
    const def = readDefinition(item.definition);
    if (typeof def === 'string') {
      this.logger.error(`recurring task "${item.key}" has no readable definition (${def}); removing it`);
      await this.store.removeRecurring(item.key);
      return;
    }
    if (seenAt - item.occurrence > this.settings.missedGraceMs) {
      const runOnce = def.missed === 'run_once';
      if (runOnce) await this.publish(def, item.occurrence);
      const next = nextOccurrence(def, now);
      if (await this.store.advance(item.key, item.occurrence, next, runOnce)) {
        this.logger.warn(
          `recurring task "${item.key}" missed runs since ${new Date(item.occurrence).toISOString()}: ` +
            `${runOnce ? 'ran once' : 'skipped'} (policy ${def.missed}); next run ${new Date(next).toISOString()}`,
        );
      }
      return;
    }
    await this.publish(def, item.occurrence);
    await this.store.advance(item.key, item.occurrence, nextOccurrence(def, item.occurrence), true);
  }

  private async publish(def: RecurringDefinition, occurrence: number): Promise<void> {
    const t = def.task;
    try {
      await this.settings.resolveQueue(t.queue, 'schedule.task.queue').publish({
        type: t.type,
        payload: t.payload,
        priority: t.priority,
        maxRetries: t.maxRetries,
        timeoutMs: t.timeoutMs,
        idempotencyKey: `recurring:${this.settings.name}:${def.key}:${occurrence}`,
      });
    } catch (error) {
      // Stored on the master, not confirmed by the replicas in time: the occurrence did fire.
      if (!(error instanceof DurabilityTimeoutError)) throw error;
      this.warn(`recurring task "${def.key}"`, error);
    }
  }
}

/** A publish refused for what the task is (unknown queue, bad options, payload too large), which retrying cannot change. */
function unpublishable(error: unknown): error is QueueError {
  return error instanceof QueueConfigError || error instanceof PayloadTooLargeError;
}
