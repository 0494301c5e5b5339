import { LeaseLostError, QueueClosedError } from '../errors';
import { isNonRetryable, recordError } from '../util/error-record';
import { RepeatedFailureLog } from '../util/repeat-log';
import { FailureBackoff, sleep } from '../util/retry';
import { CompletionBatcher } from './completion-batcher';
import { HandlerRun, RunOutcome } from './handler-run';
import { decodeBody, toQueueMessage } from './message-codec';
import { backoffDelay, RateLimit, ResolvedQueueOptions } from './queue-options';
import type { QueueObserver } from './queue-observer';
import type { Delivery, DeliveryRef, FailAction, FetchResult, QueueStore, RateLimitSpec } from './queue-store';
import { PRIORITIES, TaskHandler } from './queue.types';
import { loggerFor, QueueLogger } from '../logger';
import { WorkerHeartbeat } from './worker-heartbeat';

/** Handlers faster than this on average let the worker fetch further ahead (see holdLimit). */
const FAST_HANDLER_MS = 2;
/** Step of the weighted-mode draw sequence (same constant as fetch.lua and the memory store). */
const GOLDEN_RATIO = 0.6180339887498949;
/**
 * Preemption window: while handlers average at least this long, at most `capacity` messages that a
 * higher tier could outrank start per look at the store (see startBudget). Faster handlers get
 * more starts per look, as many as fit in this much handler time per slot.
 */
const PREEMPT_WINDOW_MS = 0.5;
/**
 * How long what the newest fetch reply said about the store counts as current for starting
 * messages a higher tier could outrank (ms after the reply arrived). Past it, a freed slot looks at
 * the store again before it starts one, so a higher-tier message published while handlers run waits
 * for about one handler duration, not two (see mayStart).
 */
const FRESH_MS = 2;

interface HandlerSlot {
  fn: TaskHandler;
  concurrency: number;
  /** The handler's own per-attempt limit (0: none). */
  timeoutMs: number;
  running: number;
  /** Delivered, not started: one FIFO per tier (index 0 = critical), started highest tier first. */
  waiting: [HandlerRun[], HandlerRun[], HandlerRun[], HandlerRun[]];
}

/**
 * The worker pool of one queue in one process: a single fetch loop takes batches of leased
 * messages (as many as there are free handler slots), runs them through their type's handler,
 * renews their leases while they run and acknowledges them in batches. Idle, it blocks on the
 * store's wake-up (no polling) until work arrives or the next delayed message or lease is due.
 */
export class QueueWorker {
  private readonly handlers = new Map<string, HandlerSlot>();
  /** Sent with every fetch: the queue's limit ('*') and those of the registered types (empty: none). */
  private readonly rateLimits: RateLimitSpec[] = [];
  /** Every delivery this process holds (buffered or running), by id. */
  private readonly held = new Map<string, HandlerRun>();
  private readonly acks: CompletionBatcher;
  private readonly pendingFails = new Set<Promise<unknown>>();
  /** Releases (put back, attempt not counted) under way. */
  private readonly releases = new Set<Promise<void>>();
  private readonly logger: QueueLogger;
  /** Sum of the handlers' concurrency. */
  private capacity = 0;
  /** Moving average of handler run time; starts "slow" so nothing is hoarded before it is known. */
  private avgRunMs = FAST_HANDLER_MS * 5;
  /**
   * Weighted mode draws tiers along a golden-ratio sequence; the cursor continues it from one
   * fetch to the next, so proportions hold even when fetches take one or two messages.
   */
  private weightedCursor = Math.random();
  private readonly strict: boolean;
  /** Held runs not started yet (sum over the slots' waiting lists). */
  private waitingCount = 0;
  /**
   * What the last fetch reply said about the store: tiers that still had ready messages (bit t for
   * tier t), and the highest of them (4: none). In strict mode a waiting run of a lower tier than
   * `storeTop` does not start: the higher-tier message is fetched (or, the hold being full, the
   * outranked runs are released) first.
   */
  private storeTiers = 0;
  private storeTop = 4;
  /**
   * Starts of messages a higher tier could outrank (tier > 0), counted for ever; `checkedAt` is that
   * count when the fetch behind the newest reply was sent. At most startBudget() such starts may
   * happen after the send of the newest reply's fetch: a higher-tier publish is seen by the next
   * fetch after it, so at most that many lower-tier messages start before the worker knows.
   */
  private outrankableStarts = 0;
  private checkedAt = 0;
  /** `outrankableStarts` when the newest fetch was sent (a look already on its way since the last start). */
  private lookSentAt = -1;
  /** When (performance clock, ms) the newest fetch reply arrived: what it said stays current for FRESH_MS. */
  private replyAt = -Infinity;
  /** Paused as far as this process knows (its own pause() at once; other processes' through fetch replies). */
  private paused = false;
  /** Bumped by pause()/resume(): a fetch reply sent before the latest of them does not overrule it. */
  private pauseEpoch = 0;
  /** The fetch the loop is waiting for (pause() waits for it, so its deliveries are put back before it resolves). */
  private fetching?: Promise<unknown>;
  private pumping = false;
  private pumpAgain = false;
  private loop?: Promise<void>;
  private closing = false;
  private startedAt = 0;
  private slotWaiter?: () => void;
  private renewTimer?: NodeJS.Timeout;
  /** Tier lists the last fetch reported as holding the wrong type (logged once per change). */
  private brokenTiers = '';
  /** Fetch failures: logged once, repeats counted until a fetch works. */
  private readonly fetchFailures: RepeatedFailureLog;
  /** Failures of fail/release/dead-letter steps: logged once, repeats counted until one works. */
  private readonly updateFailures: RepeatedFailureLog;
  /** This process's entry in the queue's worker registry (operator tools). */
  private readonly heartbeat: WorkerHeartbeat;
  /** Given to every run (one function for all: nothing is allocated per message for progress). */
  private readonly progressWriter = (run: HandlerRun, json: string): Promise<void> => this.writeProgress(run, json);
  /** Likewise the lease extension and the settle callback of every run (two closures per message before). */
  private readonly extender = (run: HandlerRun, ms?: number): Promise<void> => this.extendOne(run, ms);
  private readonly settler = (run: HandlerRun, outcome: RunOutcome): void => this.finish(run, outcome);

  constructor(
    private readonly store: QueueStore,
    private readonly options: ResolvedQueueOptions,
    private readonly observer: QueueObserver = {},
    logger?: QueueLogger,
  ) {
    this.logger = loggerFor(`Queue:${options.name}`, logger);
    this.strict = options.scheduling.mode === 'strict';
    if (options.rateLimit) this.rateLimits.push({ name: '*', ...options.rateLimit });
    this.fetchFailures = new RepeatedFailureLog(
      (line) => this.logger.error(line),
      (line) => this.logger.log(line),
      'fetch',
    );
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
    this.heartbeat = new WorkerHeartbeat(store, () => ({ concurrency: this.capacity, held: this.held.size, rateLimits: this.rateLimits }), this.logger);
  }

  register(type: string, fn: TaskHandler, concurrency: number, timeoutMs = 0, rateLimit: RateLimit | null = null): void {
    this.handlers.set(type, { fn, concurrency, timeoutMs, running: 0, waiting: [[], [], [], []] });
    if (rateLimit) this.rateLimits.push({ name: type, ...rateLimit });
    this.capacity += concurrency;
    this.slotWaiter?.();
    if (this.loop) this.heartbeat.refresh();
    if (!this.loop && !this.closing) {
      this.startedAt = Date.now();
      // Start on the next turn, so handlers registered in the same tick are known to the first fetch.
      this.loop = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.run());
      this.renewTimer = setInterval(() => void this.renewLeases(), Math.max(50, Math.floor(this.options.visibilityTimeoutMs / 3)));
      this.renewTimer.unref();
      this.heartbeat.start();
    }
  }

  handles(type: string): boolean {
    return this.handlers.has(type);
  }

  /** Handlers running or buffered in this process. */
  get heldCount(): number {
    return this.held.size;
  }

  /**
   * Pauses the queue for every process. This one starts nothing from the call on; the store is
   * marked paused, and what this process held without starting goes back to the head of its tier
   * (attempt not counted) before the promise resolves. Other processes see the pause with their
   * next fetch reply (see docs/queue.md).
   */
  async pause(): Promise<void> {
    this.pauseEpoch++;
    this.paused = true;
    await this.store.setPaused(true);
    await this.fetching?.catch(() => undefined);
    await this.releaseWaiting(() => true);
    await Promise.allSettled([...this.releases]);
  }

  async resume(): Promise<void> {
    this.pauseEpoch++;
    this.paused = false;
    await this.store.setPaused(false);
    this.slotWaiter?.();
  }

  async close(drainTimeoutMs: number): Promise<void> {
    if (this.closing) return this.loop;
    this.closing = true;
    this.store.interruptWait();
    this.slotWaiter?.();
    await this.loop;
    const deadline = Date.now() + drainTimeoutMs;
    // Buffered deliveries never started: put them back at once.
    await this.releaseWaiting(() => true);
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
    // also deliveries refused after closing began (a fetch reply that arrived late)
    await Promise.allSettled([...this.releases]);
    if (this.renewTimer) clearInterval(this.renewTimer);
    await this.heartbeat.stop();
    await Promise.allSettled([...this.pendingFails]);
    const unsent = await this.acks.drain(Math.max(1000, deadline - Date.now()));
    if (unsent > 0) this.logger.error(`${unsent} acknowledgements could not be sent; those messages will be delivered again`);
    this.acks.abandon();
  }

  private async run(): Promise<void> {
    const backoff = new FailureBackoff(100);
    const weights =
      this.options.scheduling.mode === 'weighted' ? PRIORITIES.map((p) => (this.options.scheduling as { weights: Record<string, number> }).weights[p]) : null;
    /** Set while the last fetch (ours, or the one run on wake-up) left the queue drained: wait, do not fetch. */
    let drained: FetchResult | null = null;
    while (!this.closing) {
      try {
        const free = this.holdLimit() - this.held.size;
        if (free <= 0 && this.strict && this.hasOutranked()) {
          // The hold is full and a higher tier waits in the store: make room for it. The release
          // is not awaited: the fetch that follows goes out on the same connection behind it (the
          // Redis store), so the higher-tier message is taken one round trip after the look saw it.
          void this.releaseWaiting((tier) => tier > this.storeTop);
          continue;
        }
        const wanted = Math.max(0, Math.min(free, this.options.prefetch));
        // A fetch is also the look at the store that lets held runs start (startBudget, storeTop).
        if ((wanted > 0 && !drained) || this.needsCheck()) {
          const sentAt = this.outrankableStarts;
          this.lookSentAt = sentAt;
          const epoch = this.pauseEpoch;
          const fetching = this.store.fetch(wanted, this.options.visibilityTimeoutMs, weights, this.weightedCursor, this.rateLimits).then((result) => {
            this.acceptFetched(result, sentAt, epoch);
            return result;
          });
          this.fetching = fetching;
          const result = await fetching.finally(() => (this.fetching = undefined));
          backoff.succeeded();
          this.fetchRecovered();
          drained = result.paused || result.deliveries.length < wanted ? result : null;
          continue;
        }
        if (this.waitingCount > 0 || wanted === 0) {
          // Held runs wait for a slot (a finish wakes this loop), or the hold is full.
          await new Promise<void>((resolve) => (this.slotWaiter = resolve));
          this.slotWaiter = undefined;
          continue;
        }
        // Drained (or paused) and nothing held waits: block until woken, the next due message or
        // lease deadline, or idleBlockMs. Capped at the visibility timeout, so leases taken after
        // this worker went idle by a worker that then crashed are reclaimed at most one visibility
        // timeout late. The store may run our next fetch right on wake-up (Redis: pipelined behind
        // the BLPOP).
        const last: FetchResult = drained ?? { paused: true, nextWakeMs: null, deliveries: [], tiersLeft: 0 };
        const idleCap = Math.min(this.options.idleBlockMs, this.options.visibilityTimeoutMs);
        const precise = last.nextWakeMs !== null && last.nextWakeMs < idleCap;
        const wait = precise ? Math.max(5, last.nextWakeMs!) : idleCap;
        const sentAt = this.outrankableStarts;
        this.lookSentAt = sentAt;
        const epoch = this.pauseEpoch;
        const woke = await this.store.waitForWork(wait, {
          precise,
          max: wanted,
          leaseMs: this.options.visibilityTimeoutMs,
          weights,
          random: this.weightedCursor,
          limits: this.rateLimits,
          onResult: (result) => this.acceptFetched(result, sentAt, epoch),
        });
        this.fetchRecovered();
        drained = woke && (woke.result.paused || woke.result.deliveries.length < woke.max) ? woke.result : null;
      } catch (error) {
        drained = null;
        if (this.closing) break;
        const pause = backoff.failed();
        this.fetchFailed(error, pause);
        await sleep(pause);
      }
    }
  }

  /**
   * Takes in what a fetch returned (also a fetch that completes after the loop moved on): what it
   * says about the store (paused, tiers left), then its deliveries.
   */
  private acceptFetched(result: FetchResult, sentAt: number, epoch: number): void {
    this.noteBrokenTiers(result.brokenTiers);
    this.weightedCursor = (this.weightedCursor + result.deliveries.length * GOLDEN_RATIO) % 1;
    // A reply to a fetch sent before this process's own pause()/resume() does not overrule it.
    if (epoch === this.pauseEpoch && result.paused !== this.paused) {
      this.paused = result.paused;
      if (this.paused) void this.releaseWaiting(() => true);
    }
    this.checkedAt = Math.max(this.checkedAt, sentAt);
    this.replyAt = performance.now();
    const rising = result.tiersLeft & ~this.storeTiers;
    this.storeTiers = result.tiersLeft;
    this.storeTop = lowestBit(result.tiersLeft);
    // Weighted mode: a tier that had nothing when the held runs were drawn now has messages: put the
    // held runs of lower tiers back so the next draws include it (strict mode blocks them instead).
    if (!this.strict && rising !== 0) {
      const top = lowestBit(rising);
      void this.releaseWaiting((tier) => tier > top);
    }
    const refused: DeliveryRef[] = [];
    for (const delivery of result.deliveries) {
      if (this.closing || this.paused) refused.push({ id: delivery.id, attempt: delivery.attempt, lease: delivery.lease });
      else this.accept(delivery);
    }
    void this.releaseQuietly(refused);
    this.pump();
  }

  private fetchFailed(error: unknown, pause: number): void {
    const message = (error as Error).message;
    this.fetchFailures.failed(message, `fetch failed (retrying in ${pause} ms, repeats not logged): ${message}`);
  }

  private fetchRecovered(): void {
    this.fetchFailures.succeeded();
  }

  /** Logs once per change which tier lists hold the wrong Redis type (the fetch skips them). */
  private noteBrokenTiers(keys: string[] | undefined): void {
    const now = (keys ?? []).join(', ');
    if (now === this.brokenTiers) return;
    this.brokenTiers = now;
    if (now)
      this.logger.error(
        `tier list(s) ${now} hold the wrong Redis type: skipped (other tiers are served; new messages for them go to another tier); delete or rename the key(s)`,
      );
    else this.logger.log('every tier list is usable again');
  }

  /**
   * A free slot has a waiting run that may not start until the worker looks at the store again; or
   * (handlers shorter than FRESH_MS on average) the start budget is spent and no look went out since
   * the last start: the look is sent now, while the handlers run, so its reply is there (and still
   * current) when a slot frees, and short handlers do not wait a round trip per start.
   */
  private needsCheck(): boolean {
    if (this.paused || this.waitingCount === 0) return false;
    let outrankableWaits = false;
    for (const slot of this.handlers.values()) {
      const tier = slot.waiting.findIndex((list) => list.length > 0);
      if (tier < 0) continue;
      if (tier > 0) outrankableWaits = true;
      if (slot.running < slot.concurrency && !this.mayStart(tier)) return true;
    }
    return (
      outrankableWaits && this.avgRunMs < FRESH_MS && this.lookSentAt < this.outrankableStarts && this.outrankableStarts - this.checkedAt >= this.startBudget()
    );
  }

  /** Strict mode: some waiting run is of a lower tier than the highest one with ready messages in the store. */
  private hasOutranked(): boolean {
    if (this.waitingCount === 0) return false;
    for (const slot of this.handlers.values()) {
      for (let tier = this.storeTop + 1; tier < 4; tier++) if (slot.waiting[tier].length > 0) return true;
    }
    return false;
  }

  private mayStart(tier: number): boolean {
    if (this.closing || this.paused) return false;
    if (tier === 0) return true;
    if (this.strict && tier > this.storeTop) return false;
    return this.outrankableStarts - this.checkedAt < this.startBudget() && performance.now() - this.replyAt <= FRESH_MS;
  }

  /**
   * How many messages a higher tier could outrank may start per look at the store: the capacity
   * while handlers average PREEMPT_WINDOW_MS or more (the look, one round trip, overlaps them);
   * for faster handlers as many as fit in that much handler time per slot, at most the hold limit,
   * so that very short handlers are not bound by round trips.
   */
  private startBudget(): number {
    if (this.avgRunMs >= PREEMPT_WINDOW_MS) return this.capacity;
    const perLook = Math.floor((this.capacity * PREEMPT_WINDOW_MS) / Math.max(this.avgRunMs, 0.001));
    return Math.max(this.capacity, Math.min(this.holdLimit(), perLook));
  }

  /** Starts waiting runs in free slots, highest tier first, as far as mayStart allows. */
  private pump(): void {
    // A handler that settles synchronously re-enters through finish(): loop here instead of recursing.
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        for (const slot of this.handlers.values()) {
          while (slot.running < slot.concurrency) {
            const tier = slot.waiting.findIndex((list) => list.length > 0);
            if (tier < 0 || !this.mayStart(tier)) break;
            this.waitingCount--;
            this.start(slot, slot.waiting[tier].shift()!, tier);
          }
        }
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  /** Puts waiting (never started) runs back at the head of their tiers, attempt not counted. */
  private async releaseWaiting(which: (tier: number) => boolean): Promise<void> {
    const refs: HandlerRun[] = [];
    for (const slot of this.handlers.values()) {
      slot.waiting.forEach((list, tier) => {
        if (list.length === 0 || !which(tier)) return;
        for (const run of list.splice(0)) {
          if (this.held.get(run.id) === run) this.held.delete(run.id);
          refs.push(run);
        }
      });
    }
    if (refs.length === 0) return;
    this.waitingCount -= refs.length;
    this.slotWaiter?.();
    await this.releaseQuietly(refs);
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
    // a Delivery is a DeliveryRef (id, attempt, lease): the store steps below take it as is
    const ref: DeliveryRef = delivery;
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
    const run = new HandlerRun(
      toQueueMessage(delivery.id, delivery.attempt, header, payload),
      delivery.lease,
      this.extender,
      this.settler,
      this.options.name,
      header.trace,
      this.progressWriter,
    );
    this.held.set(run.id, run);
    slot.waiting[header.priority].push(run);
    this.waitingCount++;
  }

  private start(slot: HandlerSlot, run: HandlerRun, tier: number): void {
    slot.running++;
    if (tier > 0) this.outrankableStarts++;
    const m = run.message;
    const waitMs = Date.now() - m.createdAt;
    this.observer.started?.(this.options.name, m.type, m.priority, waitMs);
    this.heartbeat.started(waitMs);
    run.start(slot.fn, slot.timeoutMs);
  }

  private finish(run: HandlerRun, outcome: RunOutcome): void {
    // a type's slot never changes once registered (a second process() for a type is refused)
    const slot = this.handlers.get(run.message.type)!;
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
      this.observer.finished?.(
        this.options.name,
        m.type,
        m.priority,
        action.kind === 'retry' ? 'retried' : action.kind === 'dead' ? 'dead' : 'dropped',
        duration,
      );
      this.track(this.store.fail(run, action));
    }
    this.pump();
    this.slotWaiter?.();
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

  private releaseQuietly(refs: DeliveryRef[]): Promise<void> {
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
}

/** Index of the lowest set bit (the highest tier in a tier mask), 4 for none. */
function lowestBit(mask: number): number {
  for (let t = 0; t < 4; t++) if (mask & (1 << t)) return t;
  return 4;
}

function deadInfo(reason: string, attempts: number, error?: { name: string; message: string; stack?: string }): string {
  return JSON.stringify({ reason, attempts, deadAt: Date.now(), error });
}

function resultRecord(type: string, attempt: number, createdAt: number, value: unknown): string {
  // Same text as JSON.stringify({ r, f, t, a, c }), built directly (one per message): a task type
  // (TASK_TYPE_PATTERN) needs no escaping, and a value JSON leaves out (undefined, a function) has no `r`.
  try {
    const r = value === undefined ? undefined : JSON.stringify(value);
    return `{${r === undefined ? '' : `"r":${r},`}"f":${Date.now()},"t":"${type}","a":${attempt},"c":${createdAt}}`;
  } catch {
    return JSON.stringify({ f: Date.now(), t: type, a: attempt, c: createdAt, e: 'result is not JSON-serialisable' });
  }
}
