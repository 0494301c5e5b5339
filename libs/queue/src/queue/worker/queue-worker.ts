import { QueueClosedError } from '../../errors';
import { FailureBackoff, sleep } from '../../util/retry';
import { FetchLog } from './fetch-log';
import { HandlerRun, RunOutcome } from './handler-run';
import type { HandlerSlot } from './handler-slot';
import { decodeBody, toQueueMessage } from '../message-codec';
import { RateLimit, ResolvedQueueOptions } from '../queue-options';
import type { QueueObserver } from '../queue-observer';
import type { Delivery, DeliveryRef, FetchResult, QueueStore, RateLimitSpec } from '../queue-store';
import { PRIORITIES, TaskHandler } from '../queue.types';
import { loggerFor, QueueLogger } from '../../logger';
import { RunSettlement } from './run-settlement';
import { StartGate } from './start-gate';
import { StartSlice } from './start-slice';
import { WorkerHeartbeat } from './worker-heartbeat';
import { advanceDraw } from '../weighted-draw';

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
  private readonly logger: QueueLogger;
  /** When held runs may start, and how many are held (docs/architecture.md, "Look-ahead, preemption and pause"). */
  private readonly gate: StartGate;
  /** The store steps of held runs: acknowledgements, fail steps, lease extension and renewal, progress. */
  private readonly settlement: RunSettlement;
  /**
   * Weighted mode draws tiers along a golden-ratio sequence; the cursor continues it from one
   * fetch to the next, so proportions hold even when fetches take one or two messages.
   */
  private weightedCursor = Math.random();
  /** Held runs not started yet (sum over the slots' waiting lists). */
  private waitingCount = 0;
  /** Paused as far as this process knows (its own pause() at once; other processes' through fetch replies). */
  private paused = false;
  /** Bumped by pause()/resume(): a fetch reply sent before the latest of them does not overrule it. */
  private pauseEpoch = 0;
  /** The fetch the loop is waiting for (pause() waits for it, so its deliveries are put back before it resolves). */
  private fetching?: Promise<unknown>;
  private pumping = false;
  private pumpAgain = false;
  /** Starts of one event-loop turn stop after 0.25 ms; the rest start on the next turn. */
  private readonly slice = new StartSlice(() => this.pump());
  private loop?: Promise<void>;
  private closing = false;
  private startedAt = 0;
  private slotWaiter?: () => void;
  private renewTimer?: NodeJS.Timeout;
  /** Fetch failures and tier lists of the wrong type, each logged once. */
  private readonly fetchLog: FetchLog;
  /** This process's entry in the queue's worker registry (operator tools). */
  private readonly heartbeat: WorkerHeartbeat;
  /**
   * Given to every run: one settle callback for all (with the settlement's extender and progress
   * writer, nothing is allocated per message for them; two closures per message before).
   */
  private readonly settler = (run: HandlerRun, outcome: RunOutcome): void => this.finish(run, outcome);

  constructor(
    private readonly store: QueueStore,
    private readonly options: ResolvedQueueOptions,
    private readonly observer: QueueObserver = {},
    logger?: QueueLogger,
  ) {
    this.logger = loggerFor(`Queue:${options.name}`, logger);
    this.gate = new StartGate(this.handlers, options);
    if (options.rateLimit) this.rateLimits.push({ name: '*', ...options.rateLimit });
    this.fetchLog = new FetchLog(this.logger);
    this.settlement = new RunSettlement(store, options, observer, this.logger, this.held);
    this.heartbeat = new WorkerHeartbeat(store, () => ({ concurrency: this.gate.capacity, held: this.held.size, rateLimits: this.rateLimits }), this.logger);
  }

  register(type: string, fn: TaskHandler, concurrency: number, timeoutMs = 0, rateLimit: RateLimit | null = null): void {
    this.handlers.set(type, { fn, concurrency, timeoutMs, running: 0, waiting: [[], [], [], []] });
    if (rateLimit) this.rateLimits.push({ name: type, ...rateLimit });
    this.gate.capacity += concurrency;
    this.slotWaiter?.();
    if (this.loop) this.heartbeat.refresh();
    if (!this.loop && !this.closing) {
      this.startedAt = Date.now();
      // Start on the next turn, so handlers registered in the same tick are known to the first fetch.
      this.loop = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.run());
      this.renewTimer = setInterval(() => void this.settlement.renewLeases(), Math.max(50, Math.floor(this.options.visibilityTimeoutMs / 3)));
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
    await this.settlement.releasesSettled();
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
    await this.settlement.release(unfinished);
    // also deliveries refused after closing began (a fetch reply that arrived late)
    await this.settlement.releasesSettled();
    if (this.renewTimer) clearInterval(this.renewTimer);
    await this.heartbeat.stop();
    await this.settlement.close(deadline);
  }

  private async run(): Promise<void> {
    const backoff = new FailureBackoff(100);
    const weights =
      this.options.scheduling.mode === 'weighted' ? PRIORITIES.map((p) => (this.options.scheduling as { weights: Record<string, number> }).weights[p]) : null;
    /** Set while the last fetch (ours, or the one run on wake-up) left the queue drained: wait, do not fetch. */
    let drained: FetchResult | null = null;
    while (!this.closing) {
      try {
        const free = this.gate.holdLimit() - this.held.size;
        if (free <= 0 && this.gate.hasOutranked(this.waitingCount)) {
          // The hold is full and a higher tier waits in the store: make room for it. The release
          // is not awaited: the fetch that follows goes out on the same connection behind it (the
          // Redis store), so the higher-tier message is taken one round trip after the look saw it.
          void this.releaseWaiting((tier) => tier > this.gate.storeTop);
          continue;
        }
        const wanted = Math.max(0, Math.min(free, this.options.prefetch));
        // A fetch is also the look at the store that lets held runs start (startBudget, storeTop).
        if ((wanted > 0 && !drained) || (!this.paused && this.gate.needsCheck(this.waitingCount))) {
          const sentAt = this.gate.lookSent();
          const epoch = this.pauseEpoch;
          const fetching = this.store.fetch(wanted, this.options.visibilityTimeoutMs, weights, this.weightedCursor, this.rateLimits).then((result) => {
            this.acceptFetched(result, sentAt, epoch);
            return result;
          });
          this.fetching = fetching;
          const result = await fetching.finally(() => (this.fetching = undefined));
          backoff.succeeded();
          this.fetchLog.recovered();
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
        const sentAt = this.gate.lookSent();
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
        this.fetchLog.recovered();
        drained = woke && (woke.result.paused || woke.result.deliveries.length < woke.max) ? woke.result : null;
      } catch (error) {
        drained = null;
        if (this.closing) break;
        const pause = backoff.failed();
        this.fetchLog.failed(error, pause);
        await sleep(pause);
      }
    }
  }

  /**
   * Takes in what a fetch returned (also a fetch that completes after the loop moved on): what it
   * says about the store (paused, tiers left), then its deliveries.
   */
  private acceptFetched(result: FetchResult, sentAt: number, epoch: number): void {
    this.fetchLog.noteBrokenTiers(result.brokenTiers);
    this.weightedCursor = advanceDraw(this.weightedCursor, result.deliveries.length);
    // A reply to a fetch sent before this process's own pause()/resume() does not overrule it.
    if (epoch === this.pauseEpoch && result.paused !== this.paused) {
      this.paused = result.paused;
      if (this.paused) void this.releaseWaiting(() => true);
    }
    const risen = this.gate.replied(result.tiersLeft, sentAt);
    // Weighted mode: a tier that had nothing when the held runs were drawn now has messages: put the
    // held runs of lower tiers back so the next draws include it (strict mode blocks them instead).
    if (risen < 4) void this.releaseWaiting((tier) => tier > risen);
    const refused: DeliveryRef[] = [];
    for (const delivery of result.deliveries) {
      if (this.closing || this.paused) refused.push({ id: delivery.id, attempt: delivery.attempt, lease: delivery.lease });
      else this.accept(delivery);
    }
    void this.settlement.release(refused);
    this.pump();
  }

  /** Starts waiting runs in free slots, highest tier first, as far as mayStart allows. */
  private pump(): void {
    // A handler that settles synchronously re-enters through finish(): loop here instead of recursing.
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    // whether the last pass left a free slot whose run must wait for a look
    let stalled: boolean;
    try {
      do {
        this.pumpAgain = false;
        stalled = false;
        for (const slot of this.handlers.values()) {
          while (slot.running < slot.concurrency) {
            const tier = slot.waiting.findIndex((list) => list.length > 0);
            if (tier < 0 || this.closing || this.paused) break;
            if (!this.gate.mayStart(tier)) {
              stalled = true;
              break;
            }
            if (this.slice.spent()) break;
            this.waitingCount--;
            this.start(slot, slot.waiting[tier].shift()!, tier);
          }
        }
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
    // A free slot's run must wait for a look at the store: wake the fetch loop to send it (a run
    // that ends wakes it too, but none may be running).
    if (stalled) this.slotWaiter?.();
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
    await this.settlement.release(refs);
  }

  private accept(delivery: Delivery): void {
    // a Delivery is a DeliveryRef (id, attempt, lease): the store steps below take it as is
    const ref: DeliveryRef = delivery;
    const decoded = decodeBody(delivery.body);
    if (!decoded.ok) {
      this.settlement.undecodable(ref, decoded.reason);
      return;
    }
    const { header, payload } = decoded;
    const slot = this.handlers.get(header.type);
    if (!slot) {
      this.settlement.unhandled(ref, header.type, header.createdAt, this.startedAt);
      return;
    }
    const run = new HandlerRun(
      toQueueMessage(delivery.id, delivery.attempt, header, payload),
      delivery.lease,
      this.settlement.extender,
      this.settler,
      this.options.name,
      header.trace,
      this.settlement.progressWriter,
    );
    this.held.set(run.id, run);
    slot.waiting[header.priority].push(run);
    this.waitingCount++;
  }

  private start(slot: HandlerSlot, run: HandlerRun, tier: number): void {
    slot.running++;
    this.gate.started(tier);
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
    const duration = Date.now() - run.startedAt;
    this.gate.ran(duration);
    this.settlement.settle(run, outcome, duration);
    this.pump();
    this.slotWaiter?.();
  }
}
