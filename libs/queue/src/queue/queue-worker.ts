import { Logger } from '@nestjs/common';
import { LeaseLostError, QueueClosedError } from '../errors';
import { CompletionBatcher } from './completion-batcher';
import { HandlerRun, RunOutcome } from './handler-run';
import { decodeBody, toQueueMessage } from './message-codec';
import { backoffDelay, ResolvedQueueOptions } from './queue-options';
import type { QueueObserver } from './queue-observer';
import type { Delivery, DeliveryRef, FailAction, FetchResult, QueueStore } from './queue-store';
import { PRIORITIES, TaskHandler } from './queue.types';

/** Handlers faster than this on average let the worker fetch further ahead (see holdLimit). */
const FAST_HANDLER_MS = 2;
/** Step of the weighted-mode draw sequence (same constant as fetch.lua and the memory store). */
const GOLDEN_RATIO = 0.6180339887498949;

interface HandlerSlot {
  fn: TaskHandler;
  concurrency: number;
  /** The handler's own per-attempt limit (0: none). */
  timeoutMs: number;
  running: number;
  waiting: HandlerRun[];
}

/**
 * The worker pool of one queue in one process: a single fetch loop takes batches of leased
 * messages (as many as there are free handler slots), runs them through their type's handler,
 * renews their leases while they run and acknowledges them in batches. Idle, it blocks on the
 * store's wake-up (no polling) until work arrives or the next delayed message or lease is due.
 */
export class QueueWorker {
  private readonly handlers = new Map<string, HandlerSlot>();
  /** Every delivery this process holds (buffered or running), by id. */
  private readonly held = new Map<string, HandlerRun>();
  private readonly acks: CompletionBatcher;
  private readonly pendingFails = new Set<Promise<unknown>>();
  private readonly logger: Logger;
  /** Sum of the handlers' concurrency. */
  private capacity = 0;
  /** Moving average of handler run time; starts "slow" so nothing is hoarded before it is known. */
  private avgRunMs = FAST_HANDLER_MS * 5;
  /**
   * Weighted mode draws tiers along a golden-ratio sequence; the cursor continues it from one
   * fetch to the next, so proportions hold even when fetches take one or two messages.
   */
  private weightedCursor = Math.random();
  private loop?: Promise<void>;
  private closing = false;
  private startedAt = 0;
  private slotWaiter?: () => void;
  private renewTimer?: NodeJS.Timeout;

  constructor(
    private readonly store: QueueStore,
    private readonly options: ResolvedQueueOptions,
    private readonly observer: QueueObserver = {},
  ) {
    this.logger = new Logger(`Queue:${options.name}`);
    this.acks = new CompletionBatcher(
      (batch) => store.complete(batch),
      (stale) => this.logger.warn(`acknowledged after the lease was lost (delivered again): ${stale.map((s) => s.id).join(', ')}`),
      (error) => this.logger.error(`acknowledgement failed, will retry: ${(error as Error).message}`),
    );
  }

  register(type: string, fn: TaskHandler, concurrency: number, timeoutMs = 0): void {
    this.handlers.set(type, { fn, concurrency, timeoutMs, running: 0, waiting: [] });
    this.capacity += concurrency;
    this.slotWaiter?.();
    if (!this.loop && !this.closing) {
      this.startedAt = Date.now();
      // Start on the next turn, so handlers registered in the same tick are known to the first fetch.
      this.loop = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.run());
      this.renewTimer = setInterval(() => void this.renewLeases(), Math.max(50, Math.floor(this.options.visibilityTimeoutMs / 3)));
      this.renewTimer.unref();
    }
  }

  handles(type: string): boolean {
    return this.handlers.has(type);
  }

  /** Handlers running or buffered in this process. */
  get heldCount(): number {
    return this.held.size;
  }

  async close(drainTimeoutMs: number): Promise<void> {
    if (this.closing) return this.loop;
    this.closing = true;
    this.store.interruptWait();
    this.slotWaiter?.();
    await this.loop;
    const deadline = Date.now() + drainTimeoutMs;
    // Buffered deliveries never started: put them back at once.
    const buffered = [...this.handlers.values()].flatMap((slot) => slot.waiting.splice(0));
    for (const run of buffered) this.held.delete(run.id);
    await this.releaseQuietly(buffered);
    while (this.held.size > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.slotWaiter = resolve;
        setTimeout(resolve, Math.min(50, Math.max(1, deadline - Date.now())));
      });
    }
    // Past the drain timeout: abort the handlers and put their messages back, attempt not counted.
    const unfinished = [...this.held.values()];
    this.held.clear();
    for (const run of unfinished) run.cancel(new QueueClosedError(this.options.name));
    await this.releaseQuietly(unfinished);
    if (this.renewTimer) clearInterval(this.renewTimer);
    await Promise.allSettled([...this.pendingFails]);
    const unsent = await this.acks.drain(Math.max(1000, deadline - Date.now()));
    if (unsent > 0) this.logger.error(`${unsent} acknowledgements could not be sent; those messages will be delivered again`);
    this.acks.abandon();
  }

  private async run(): Promise<void> {
    let failures = 0;
    const weights = this.options.scheduling.mode === 'weighted' ? PRIORITIES.map((p) => (this.options.scheduling as { weights: Record<string, number> }).weights[p]) : null;
    /** Set while the last fetch (ours, or the one run on wake-up) left the queue drained: wait, do not fetch. */
    let drained: FetchResult | null = null;
    while (!this.closing) {
      const free = this.holdLimit() - this.held.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.slotWaiter = resolve));
        this.slotWaiter = undefined;
        continue;
      }
      const wanted = Math.min(free, this.options.prefetch);
      try {
        if (!drained) {
          const result = await this.store.fetch(wanted, this.options.visibilityTimeoutMs, weights, this.weightedCursor);
          this.acceptFetched(result);
          failures = 0;
          if (this.closing || !(result.paused || result.deliveries.length < wanted)) continue;
          drained = result;
        }
        // Block until woken, the next due message or lease deadline, or idleBlockMs. Capped at the
        // visibility timeout, so leases taken after this worker went idle by a worker that then
        // crashed are reclaimed at most one visibility timeout late. The store may run our next
        // fetch right on wake-up (Redis: pipelined behind the BLPOP).
        const idleCap = Math.min(this.options.idleBlockMs, this.options.visibilityTimeoutMs);
        const precise = drained.nextWakeMs !== null && drained.nextWakeMs < idleCap;
        const wait = precise ? Math.max(5, drained.nextWakeMs!) : idleCap;
        const woke = await this.store.waitForWork(wait, {
          precise,
          max: wanted,
          leaseMs: this.options.visibilityTimeoutMs,
          weights,
          random: this.weightedCursor,
          onResult: (result) => this.acceptFetched(result),
        });
        drained = woke && (woke.result.paused || woke.result.deliveries.length < woke.max) ? woke.result : null;
      } catch (error) {
        drained = null;
        if (this.closing) break;
        failures++;
        const pause = Math.min(5000, 100 * 2 ** Math.min(failures, 6));
        this.logger.error(`fetch failed (retrying in ${pause} ms): ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  /** Takes in what a fetch returned (also a fetch that completes after the loop moved on). */
  private acceptFetched(result: FetchResult): void {
    this.weightedCursor = (this.weightedCursor + result.deliveries.length * GOLDEN_RATIO) % 1;
    for (const delivery of result.deliveries) {
      if (this.closing) void this.releaseQuietly([delivery]);
      else this.accept(delivery);
    }
  }

  /**
   * How many messages this process holds (running + waiting for a slot). Waiting ones keep a
   * renewed lease, and a freed slot starts the next at once instead of after a round trip. Twice
   * the capacity; while handlers are fast (under FAST_HANDLER_MS on average) up to `prefetch`
   * more, so small concurrencies are not bound by round trips. Slow handlers never hoard.
   */
  private holdLimit(): number {
    const ahead = this.avgRunMs < FAST_HANDLER_MS ? Math.max(this.capacity, Math.min(this.options.prefetch, 64)) : this.capacity;
    return this.capacity + ahead;
  }

  private accept(delivery: Delivery): void {
    const ref: DeliveryRef = { id: delivery.id, attempt: delivery.attempt, lease: delivery.lease };
    const decoded = decodeBody(delivery.body);
    if (!decoded.ok) {
      this.observer.rejected?.(this.options.name, null, decoded.reason);
      this.logger.warn(`message ${delivery.id} dead-lettered: ${decoded.reason}`);
      this.track(this.store.fail(ref, { kind: 'dead', countsAsFailure: false, infoJson: deadInfo(decoded.reason, delivery.attempt - 1) }));
      return;
    }
    const { header, payload } = decoded;
    const slot = this.handlers.get(header.type);
    if (!slot) {
      const graceEnds = Math.max(header.createdAt, this.startedAt) + this.options.unhandledTypeGraceMs;
      const now = Date.now();
      if (now < graceEnds) {
        this.track(this.store.release([ref], Math.min(1000, graceEnds - now)));
      } else {
        const reason = `no handler registered for task type "${header.type}"`;
        this.observer.rejected?.(this.options.name, header.type, reason);
        this.track(this.store.fail(ref, { kind: 'dead', countsAsFailure: false, infoJson: deadInfo(reason, delivery.attempt - 1) }));
      }
      return;
    }
    const run = new HandlerRun(toQueueMessage(delivery.id, delivery.attempt, header, payload), delivery.lease, (r, ms) => this.extendOne(r, ms),
      (r, outcome) => this.finish(slot, r, outcome), this.options.name, header.trace);
    this.held.set(run.id, run);
    if (slot.running < slot.concurrency) this.start(slot, run);
    else slot.waiting.push(run);
  }

  private start(slot: HandlerSlot, run: HandlerRun): void {
    slot.running++;
    const m = run.message;
    this.observer.started?.(this.options.name, m.type, m.priority, Date.now() - m.createdAt);
    run.start(slot.fn, slot.timeoutMs);
  }

  private finish(slot: HandlerSlot, run: HandlerRun, outcome: RunOutcome): void {
    slot.running--;
    // the same id may be held again already (lease lost, delivered to us anew): only drop this run
    if (this.held.get(run.id) === run) this.held.delete(run.id);
    const m = run.message;
    const duration = Date.now() - run.startedAt;
    this.avgRunMs += (duration - this.avgRunMs) * 0.2;
    if (outcome.ok) {
      const record = this.options.completedRetention.count > 0 ? resultRecord(m.type, m.attempt, m.createdAt, outcome.value) : '';
      this.acks.add({ id: m.id, attempt: m.attempt, lease: run.lease, record });
      this.observer.finished?.(this.options.name, m.type, m.priority, 'completed', duration);
    } else if (!(outcome.error instanceof LeaseLostError)) {
      const action = this.failAction(run, outcome.error);
      this.observer.finished?.(this.options.name, m.type, m.priority, action.kind === 'retry' ? 'retried' : action.kind === 'dead' ? 'dead' : 'dropped', duration);
      this.track(this.store.fail(run, action));
    }
    const next = slot.waiting.shift();
    if (next && !this.closing) this.start(slot, next);
    this.slotWaiter?.();
  }

  private failAction(run: HandlerRun, error: unknown): FailAction {
    const m = run.message;
    const recorded = recordError(error);
    const nonRetryable = typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === false;
    if (!nonRetryable && m.attempt <= m.maxRetries) {
      return { kind: 'retry', delayMs: backoffDelay(this.options.backoff, m.attempt, Math.random()), errorJson: JSON.stringify(recorded) };
    }
    const reason = nonRetryable ? `non-retryable error: ${recorded.message}` : `failed after ${m.attempt} attempts: ${recorded.message}`;
    if (!this.options.deadLetter.enabled) return { kind: 'drop', countsAsFailure: true };
    return { kind: 'dead', countsAsFailure: true, infoJson: deadInfo(reason, m.attempt, recorded) };
  }

  private async extendOne(run: HandlerRun, ms?: number): Promise<void> {
    const lease = ms ?? this.options.visibilityTimeoutMs;
    const stale = await this.store.extend([run], lease);
    if (stale.length > 0) {
      const error = new LeaseLostError(run.id);
      run.abort(error);
      throw error;
    }
    run.leaseUntil = Date.now() + lease;
  }

  private async renewLeases(): Promise<void> {
    const lease = this.options.visibilityTimeoutMs;
    const horizon = Date.now() + lease;
    // Leases the handler pushed further out itself are left alone until they come near.
    const refs = [...this.held.values()].filter((run) => run.leaseUntil < horizon);
    if (refs.length === 0) return;
    try {
      for (let i = 0; i < refs.length; i += 1000) {
        for (const ref of await this.store.extend(refs.slice(i, i + 1000), lease)) {
          const run = this.held.get(ref.id);
          if (!run || run.lease !== ref.lease) continue;
          this.logger.warn(`lease of message ${ref.id} was lost; aborting its handler`);
          run.abort(new LeaseLostError(ref.id));
        }
      }
    } catch (error) {
      this.logger.error(`lease renewal failed: ${(error as Error).message}`);
    }
  }

  private track(promise: Promise<unknown>): void {
    const tracked = promise.catch((error) => this.logger.error(`queue update failed: ${(error as Error).message}`));
    this.pendingFails.add(tracked);
    void tracked.finally(() => this.pendingFails.delete(tracked));
  }

  private async releaseQuietly(refs: DeliveryRef[]): Promise<void> {
    if (refs.length === 0) return;
    try {
      await this.store.release(refs.map((r) => ({ id: r.id, attempt: r.attempt, lease: r.lease })), 0);
    } catch (error) {
      this.logger.error(`could not put ${refs.length} messages back (their leases will expire and they run again): ${(error as Error).message}`);
    }
  }
}

function recordError(error: unknown): { name: string; message: string; stack?: string } {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: typeof error === 'string' ? error : JSON.stringify(error) ?? String(error) };
}

function deadInfo(reason: string, attempts: number, error?: { name: string; message: string; stack?: string }): string {
  return JSON.stringify({ reason, attempts, deadAt: Date.now(), error });
}

function resultRecord(type: string, attempt: number, createdAt: number, value: unknown): string {
  try {
    return JSON.stringify({ r: value, f: Date.now(), t: type, a: attempt, c: createdAt });
  } catch {
    return JSON.stringify({ f: Date.now(), t: type, a: attempt, c: createdAt, e: 'result is not JSON-serialisable' });
  }
}
