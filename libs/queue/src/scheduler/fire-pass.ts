import { BatchTooLargeError, DurabilityTimeoutError, PayloadTooLargeError, QueueConfigError, QueueError } from '../errors';
import type { QueueLogger } from '../logger';
import type { PublishOptions } from '../queue/queue.types';
import { nextOccurrence, readDefinition, RecurringDefinition } from './schedule-spec';
import type { AdvanceStep, DueRecurring, SchedulerStore } from './scheduler-store';
import type { TaskSchedulerSettings } from './task-scheduler-settings';

/** One due occurrence with its definition, and what the pass does with it (decided before any I/O). */
interface Planned {
  item: DueRecurring;
  def: RecurringDefinition;
  /** Published: on time, or missed under `run_once`. */
  publish: boolean;
  /** Over `missedGraceMs` late (the missed policy applies). */
  missed: boolean;
  /** The next run once it is handled. */
  next: number;
}

/** What became of a planned publish: done (fired), refused for what the task is (skipped), or not done (Redis trouble: tried again). */
type PublishOutcome = { state: 'published' } | { state: 'refused'; error: QueueError } | { state: 'failed'; error: unknown };

const PUBLISHED: PublishOutcome = { state: 'published' };

/**
 * Fires the due occurrences of one loop pass in batches: one `publishBatch` per target queue (all
 * issued at once), **then** one `advance` call for every occurrence handled (a compare-and-set each,
 * so exactly one replica counts a run). A publish that failed (Redis trouble) leaves its occurrences
 * due: after the rest of the pass is recorded the error is thrown, the loop backs off and publishes
 * them again (the idempotency key stores each once). A task the queue refuses (unknown queue,
 * payload too large...) is published one by one with the others of its queue, so it alone is skipped.
 */
export class FirePass {
  constructor(
    private readonly store: SchedulerStore,
    private readonly settings: TaskSchedulerSettings,
    private readonly logger: QueueLogger,
    private readonly warn: (what: string, error: unknown) => void,
  ) {}

  /** `seenAt`: when the loop, busy since then, could first have fired them; missed when over `missedGraceMs` late by then. */
  async fire(items: readonly DueRecurring[], now: number, seenAt: number): Promise<void> {
    const nextAfter = occurrenceMemo();
    const planned: Planned[] = [];
    for (const item of items) {
      const def = readDefinition(item.definition, (d) => nextAfter(d, item.occurrence));
      if (typeof def === 'string') {
        this.logger.error(`recurring task "${item.key}" has no readable definition (${def}); removing it`);
        await this.store.removeRecurring(item.key);
        continue;
      }
      const missed = seenAt - item.occurrence > this.settings.missedGraceMs;
      const publish = !missed || def.missed === 'run_once';
      planned.push({ item, def, missed, publish, next: nextAfter(def, missed ? now : item.occurrence) });
    }
    const outcomes = await this.publishAll(planned.filter((p) => p.publish));
    const steps: AdvanceStep[] = [];
    const recorded: Planned[] = [];
    let failure: { error: unknown } | undefined;
    for (const p of planned) {
      const outcome = outcomes.get(p) ?? PUBLISHED;
      if (outcome.state === 'failed') {
        failure ??= { error: outcome.error };
        continue;
      }
      if (outcome.state === 'refused') {
        this.logger.error(`recurring task "${p.item.key}": occurrence ${new Date(p.item.occurrence).toISOString()} skipped: ${outcome.error.message}`);
        steps.push({ key: p.item.key, occurrence: p.item.occurrence, nextRunAt: nextAfter(p.def, Math.max(now, p.item.occurrence)), fired: false });
        recorded.push({ ...p, missed: false });
        continue;
      }
      steps.push({ key: p.item.key, occurrence: p.item.occurrence, nextRunAt: p.next, fired: p.publish });
      recorded.push(p);
    }
    const advanced = await this.store.advance(steps);
    recorded.forEach((p, i) => {
      if (p.missed && advanced[i]) this.logMissed(p);
    });
    if (failure) throw failure.error;
  }

  private logMissed(p: Planned): void {
    this.logger.warn(
      `recurring task "${p.item.key}" missed runs since ${new Date(p.item.occurrence).toISOString()}: ` +
        `${p.publish ? 'ran once' : 'skipped'} (policy ${p.def.missed}); next run ${new Date(p.next).toISOString()}`,
    );
  }

  /** Publishes the planned occurrences, one batch per target queue, all at once; the outcome of each (none: published). */
  private async publishAll(planned: Planned[]): Promise<Map<Planned, PublishOutcome>> {
    const byQueue = new Map<string, Planned[]>();
    for (const p of planned) byQueue.set(p.def.task.queue, [...(byQueue.get(p.def.task.queue) ?? []), p]);
    const outcomes = new Map<Planned, PublishOutcome>();
    await Promise.all(
      [...byQueue].map(async ([queue, group]) => {
        try {
          await this.send(
            queue,
            group.map((p) => this.message(p)),
          );
        } catch (error) {
          if (unpublishable(error) || error instanceof BatchTooLargeError) {
            // the batch is all or nothing: find the tasks refused, publishing the others one by one
            await this.publishEach(queue, group, outcomes);
            return;
          }
          for (const p of group) outcomes.set(p, { state: 'failed', error });
        }
      }),
    );
    return outcomes;
  }

  /** One publish per occurrence (the batch of `queue` was refused): the ones refused are skipped; after Redis trouble the rest wait. */
  private async publishEach(queue: string, group: Planned[], outcomes: Map<Planned, PublishOutcome>): Promise<void> {
    for (const [i, p] of group.entries()) {
      try {
        await this.send(queue, [this.message(p)]);
      } catch (error) {
        if (unpublishable(error)) {
          outcomes.set(p, { state: 'refused', error });
          continue;
        }
        for (const rest of group.slice(i)) outcomes.set(rest, { state: 'failed', error });
        return;
      }
    }
  }

  /** Publishes to `queue`; a batch stored on the master but not confirmed by the replicas in time did fire (logged). */
  private async send(queue: string, messages: PublishOptions[]): Promise<void> {
    try {
      await this.settings.resolveQueue(queue, 'schedule.task.queue').publishBatch(messages);
    } catch (error) {
      if (!(error instanceof DurabilityTimeoutError)) throw error;
      this.warn(`${messages.length} recurring occurrence(s) for queue ${queue} (first: ${messages[0].idempotencyKey})`, error);
    }
  }

  /** The queue message of an occurrence; its idempotency key makes the replicas' publishes of it one. */
  private message(p: Planned): PublishOptions {
    const t = p.def.task;
    return {
      type: t.type,
      payload: t.payload,
      priority: t.priority,
      maxRetries: t.maxRetries,
      timeoutMs: t.timeoutMs,
      idempotencyKey: `recurring:${this.settings.name}:${p.def.key}:${p.item.occurrence}`,
    };
  }
}

/**
 * {@link nextOccurrence}, remembered by cron, zone and instant for one pass: tasks that share a cron
 * and an occurrence (5000 tenants' reports at 09:00) share the answer. Cron-parser takes about a
 * millisecond per answer, more than a pass spends on Redis per occurrence.
 */
function occurrenceMemo(): (def: RecurringDefinition, after: number) => number {
  const known = new Map<string, number>();
  return (def, after) => {
    if ('everyMs' in def.when) return nextOccurrence(def, after);
    const key = `${def.when.cron}\n${def.when.tz}\n${after}`;
    let next = known.get(key);
    if (next === undefined) {
      next = nextOccurrence(def, after);
      known.set(key, next);
    }
    return next;
  };
}

/** A publish refused for what the task is (unknown queue, bad options, payload too large), which retrying cannot change. */
function unpublishable(error: unknown): error is QueueError {
  return error instanceof QueueConfigError || error instanceof PayloadTooLargeError;
}
