import { InvalidOptionError, LeaseLostError } from '../../errors';
import type { QueueLogger } from '../../logger';
import { isNonRetryable, recordError } from '../../util/error-record';
import { checkOption, timerMsField } from '../../util/fields';
import { stringifyPayload } from '../../util/json';
import { RepeatedFailureLog } from '../../util/repeat-log';
import { CompletionBatcher } from './completion-batcher';
import type { HandlerRun, RunOutcome } from './handler-run';
import type { HeldRuns } from './held-runs';
import { backoffDelay, ResolvedQueueOptions } from '../queue-options';
import type { QueueObserver } from '../queue-observer';
import type { DeliveryRef, FailAction, QueueStore } from '../queue-store';

/**
 * The store steps of the deliveries one QueueWorker holds: the outcome of a finished run
 * (acknowledged in batches, or retried, dead-lettered or dropped), lease extensions asked for by a
 * handler, the periodic renewal of every held lease, progress writes, putting deliveries back, and
 * what becomes of deliveries it cannot run. Failed steps are logged once (repeats counted until one
 * works); close() waits for those under way and for the acknowledgements.
 */
export class RunSettlement {
  private readonly acks: CompletionBatcher;
  private readonly pendingFails = new Set<Promise<unknown>>();
  /** Releases (put back, attempt not counted) under way. */
  private readonly releases = new Set<Promise<void>>();
  /** Failures of fail/release/dead-letter steps: logged once, repeats counted until one works. */
  private readonly updateFailures: RepeatedFailureLog;
  /** Given to every run (one function for all: nothing is allocated per message for progress). */
  readonly progressWriter = (run: HandlerRun, json: string): Promise<void> => this.writeProgress(run, json);
  /** Likewise the lease extension of every run (a closure per message before). */
  readonly extender = (run: HandlerRun, ms?: number): Promise<void> => this.extendOne(run, ms);

  constructor(
    private readonly store: QueueStore,
    private readonly options: ResolvedQueueOptions,
    private readonly observer: QueueObserver,
    private readonly logger: QueueLogger,
    /** Every delivery the worker holds (buffered or running): the worker's list. */
    private readonly held: HeldRuns,
  ) {
    this.updateFailures = new RepeatedFailureLog(
      (line) => this.logger.error(line),
      (line) => this.logger.log(line),
      'queue update',
    );
    this.acks = new CompletionBatcher(
      (batch) => store.complete(batch),
      (stale) => this.logger.warn(`acknowledged after the lease was lost (delivered again): ${stale.map((s) => s.id).join(', ')}`),
      (error) => this.logger.error(`acknowledgement failed, will retry: ${(error as Error).message}`),
    );
  }

  /** Settles a run that ended after `duration` ms: acknowledged, or failed (a lost lease: nothing to do). */
  settle(run: HandlerRun, outcome: RunOutcome, duration: number): void {
    const m = run.message;
    if (outcome.ok) {
      const record = this.options.completedRetention.count > 0 ? this.resultRecord(run, outcome.value) : '';
      this.acks.add({ id: m.id, attempt: m.attempt, lease: run.lease, record });
      this.observer.finished?.(this.options.name, m.type, m.priority, 'completed', duration);
    } else if (!leaseLost(outcome.error)) {
      const action = this.failAction(run, outcome.error);
      this.observer.finished?.(
        this.options.name,
        m.type,
        m.priority,
        action.kind === 'retry' ? 'retried' : action.kind === 'dead' ? 'dead' : 'dropped',
        duration,
      );
      this.track(this.store.fail(run, action));
    }
  }

  /** A delivery whose body could not be decoded: dead-lettered (not counted as a failure). */
  undecodable(ref: DeliveryRef, reason: string): void {
    this.observer.rejected?.(this.options.name, null, reason);
    this.logger.warn(`message ${ref.id} dead-lettered: ${reason}`);
    this.reject(ref, reason);
  }

  /**
   * A delivery of a type without a handler in this process: put back (for at most 1 s at a time)
   * until `unhandledTypeGraceMs` after its publish or the worker's start (`startedAt`), whichever is
   * later; then dead-lettered (not counted as a failure).
   */
  unhandled(ref: DeliveryRef, type: string, createdAt: number, startedAt: number): void {
    const graceEnds = Math.max(createdAt, startedAt) + this.options.unhandledTypeGraceMs;
    const now = Date.now();
    if (now < graceEnds) {
      this.track(this.store.release([ref], Math.min(1000, graceEnds - now)));
    } else {
      const reason = `no handler registered for task type "${type}"`;
      this.observer.rejected?.(this.options.name, type, reason);
      this.reject(ref, reason);
    }
  }

  /** Puts deliveries back at the head of their tiers at once, attempt not counted; a failure is logged (their leases expire and they run again). */
  release(refs: DeliveryRef[]): Promise<void> {
    if (refs.length === 0) return Promise.resolve();
    const release = this.store
      .release(
        refs.map((r) => ({ id: r.id, attempt: r.attempt, lease: r.lease })),
        0,
      )
      .catch((error) => {
        this.logger.error(`could not put ${refs.length} messages back (their leases will expire and they run again): ${(error as Error).message}`);
      });
    this.releases.add(release);
    void release.finally(() => this.releases.delete(release));
    return release;
  }

  /** Settles once every release under way has. */
  releasesSettled(): Promise<unknown> {
    return Promise.allSettled([...this.releases]);
  }

  /** Runs a store step in the background: its failure is logged (once per repeated message), close() waits for it. */
  private track(promise: Promise<unknown>): void {
    const tracked = promise.then(
      () => this.updateFailures.succeeded(),
      (error) => {
        const message = (error as Error).message;
        this.updateFailures.failed(message, `queue update failed (repeats not logged): ${message}`);
      },
    );
    this.pendingFails.add(tracked);
    void tracked.finally(() => this.pendingFails.delete(tracked));
  }

  /** Extends the leases of the held runs that are not extended past the next visibility timeout already; aborts runs whose lease was lost. */
  async renewLeases(): Promise<void> {
    const lease = this.options.visibilityTimeoutMs;
    const horizon = Date.now() + lease;
    // Leases the handler pushed further out itself are left alone until they come near.
    const refs = this.held.values().filter((run) => run.leaseUntil < horizon);
    if (refs.length === 0) return;
    try {
      for (let i = 0; i < refs.length; i += 1000) {
        const batch = refs.slice(i, i + 1000);
        for (const ref of await this.store.extend(batch, lease)) {
          // the run whose lease was lost, if this worker still holds it
          const run = batch.find((r) => r.id === ref.id && r.lease === ref.lease);
          if (!run?.held) continue;
          this.logger.warn(`lease of message ${ref.id} was lost; aborting its handler`);
          run.abort(new LeaseLostError(ref.id));
        }
      }
    } catch (error) {
      this.logger.error(`lease renewal failed: ${(error as Error).message}`);
    }
  }

  /** Waits for the fail steps under way, then sends the acknowledgements left (until `deadline`, at least 1 s); what is left unsent is logged. */
  async close(deadline: number): Promise<void> {
    await Promise.allSettled([...this.pendingFails]);
    const unsent = await this.acks.drain(Math.max(1000, deadline - Date.now()));
    if (unsent > 0) this.logger.error(`${unsent} acknowledgements could not be sent; those messages will be delivered again`);
    this.acks.abandon();
  }

  private reject(ref: DeliveryRef, reason: string): void {
    this.track(this.store.fail(ref, { kind: 'dead', countsAsFailure: false, infoJson: deadInfo(reason, ref.attempt - 1) }));
  }

  private failAction(run: HandlerRun, error: unknown): FailAction {
    const m = run.message;
    const recorded = recordError(error);
    const nonRetryable = isNonRetryable(error);
    if (!nonRetryable && m.attempt <= m.maxRetries) {
      return { kind: 'retry', delayMs: backoffDelay(this.options.backoff, m.attempt, Math.random()), errorJson: JSON.stringify(recorded) };
    }
    const reason = nonRetryable ? `non-retryable error: ${recorded.message}` : `failed after ${m.attempt} attempts: ${recorded.message}`;
    if (!this.options.deadLetter.enabled) return { kind: 'drop', countsAsFailure: true };
    return { kind: 'dead', countsAsFailure: true, infoJson: deadInfo(reason, m.attempt, recorded) };
  }

  /**
   * The result record of a completed run (`r` the result JSON, `f` finished, `t` type, `a` attempt,
   * `c` created). A result JSON cannot hold as given is refused as a payload is (util/json.ts
   * `stringifyPayload`: a BigInt, a circular reference, a Map, Set, WeakMap or WeakSet, a number that
   * is not finite, a function or symbol; a Date or anything with `toJSON` is its JSON): the message
   * still completes (the handler ran, its side effects happened: it is not run again), the record has
   * no `r` but `e`, the reason, and a warning names the queue, task type, id and the reason.
   */
  private resultRecord(run: HandlerRun, value: unknown): string {
    const m = run.message;
    // Same text as JSON.stringify({ r, f, t, a, c }), built directly (one per message): a task type
    // (TASK_TYPE_PATTERN) needs no escaping, and `undefined` (no result) has no `r`.
    let r: string | undefined;
    try {
      r = value === undefined ? undefined : stringifyPayload(value, 'result');
    } catch (error) {
      const reason = recordError(error, { stack: false }).message; // capped, never throws
      this.logger.warn(`queue "${this.options.name}": result of message ${m.id} (task type "${m.type}") is not stored (the message completed): ${reason}`);
      return JSON.stringify({ f: Date.now(), t: m.type, a: m.attempt, c: m.createdAt, e: `result is not JSON-serialisable: ${reason}` });
    }
    return `{${r === undefined ? '' : `"r":${r},`}"f":${Date.now()},"t":"${m.type}","a":${m.attempt},"c":${m.createdAt}}`;
  }

  /**
   * `ctx.extendLease(ms)`: `ms` (absent: the visibility timeout) is checked before anything is sent,
   * an {@link InvalidOptionError} at `extendLease.ms` leaving the lease as it was.
   */
  private async extendOne(run: HandlerRun, ms?: number): Promise<void> {
    const lease = ms === undefined ? this.options.visibilityTimeoutMs : checkOption(LEASE_MS, ms, 'extendLease.ms', InvalidOptionError);
    const stale = await this.store.extend([run], lease);
    if (stale.length > 0) {
      const error = new LeaseLostError(run.id);
      run.abort(error);
      throw error;
    }
    run.leaseUntil = Date.now() + lease;
  }

  /** One throttled progress write of a running delivery (a stale one is dropped by the store). Never rejects. */
  private async writeProgress(run: HandlerRun, json: string): Promise<void> {
    try {
      const m = run.message;
      // the event's JSON, built as text (the progress JSON is already checked; a task type needs no escaping)
      const event = `{"queue":${JSON.stringify(this.options.name)},"id":${JSON.stringify(m.id)},"type":"${m.type}","attempt":${m.attempt},"progress":${json},"at":${Date.now()}}`;
      await this.store.progress(run, json, event);
    } catch (error) {
      const message = (error as Error).message;
      this.updateFailures.failed(message, `progress of message ${run.id} could not be written (repeats not logged): ${message}`);
    }
  }
}

/**
 * What `ctx.extendLease(ms)` takes: an integer of ms a timer can wait (1 ms to about 24.8 days). A
 * lease is what the handler asks for: after a crash, its message waits that long to run again.
 */
const LEASE_MS = timerMsField(1);

/** Whether a run ended by losing its lease; never throws (a thrown Proxy whose prototype trap throws is not ours). */
function leaseLost(error: unknown): boolean {
  try {
    return error instanceof LeaseLostError;
  } catch {
    return false; // a Proxy whose getPrototypeOf throws: not ours
  }
}

function deadInfo(reason: string, attempts: number, error?: { name: string; message: string; stack?: string }): string {
  return JSON.stringify({ reason, attempts, deadAt: Date.now(), error });
}
