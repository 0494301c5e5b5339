import { FailureBackoff, sleep } from '../../util/retry';
import { FetchLog } from './fetch-log';
import { HandlerRun, RunOutcome } from './handler-run';
import { HeldRuns } from './held-runs';
import type { HandlerSlot } from './handler-slot';
import { decodeBody, decodeHeader, toQueueMessage } from '../message-codec';
import { idleWaitMs, ResolvedQueueOptions } from '../queue-options';
import type { QueueObserver } from '../queue-observer';
import { FETCH_MAX } from '../queue-store';
import type { Delivery, DeliveryRef, FetchResult, QueueStore, RateLimitSpec } from '../queue-store';
import { PRIORITIES } from '../queue.types';
import { loggerFor, QueueLogger } from '../../logger';
import { RunSettlement } from './run-settlement';
import { StartGate } from './start-gate';
import { StartSlice } from './start-slice';
import { WorkerHeartbeat } from './worker-heartbeat';
import { advanceDraw } from '../weighted-draw';

/**
 * The message path of a `QueueWorker` (its public face, registering, pausing and closing, is
 * queue-worker.ts): a single fetch loop takes batches of leased messages (as many as there are free
 * handler slots), accepts them into their type's slot, starts them highest tier first as the start
 * gate allows, and settles each finished run (acknowledgements in batches). Idle, it blocks on the
 * store's wake-up (no polling) until work arrives or the next delayed message or lease is due.
 */
export abstract class WorkerLoop {
  protected readonly handlers = new Map<string, HandlerSlot>();
  /** Sent with every fetch: the queue's limit ('*') and those of the registered types (empty: none). */
  protected readonly rateLimits: RateLimitSpec[] = [];
  /** Every delivery this process holds (buffered or running), oldest first. */
  protected readonly held = new HeldRuns();
  private readonly logger: QueueLogger;
  /** When held runs may start, and how many are held (docs/architecture.md, "Look-ahead, preemption and pause"). */
  protected readonly gate: StartGate;
  /** The store steps of held runs: acknowledgements, fail steps, lease extension and renewal, progress. */
  protected readonly settlement: RunSettlement;
  /**
   * Weighted mode draws tiers along a golden-ratio sequence; the cursor continues it from one
   * fetch to the next, so proportions hold even when fetches take one or two messages.
   */
  private weightedCursor = Math.random();
  /** Held runs not started yet (sum over the slots' waiting lists). */
  private waitingCount = 0;
  /** Paused as far as this process knows (its own pause() at once; other processes' through fetch replies). */
  protected paused = false;
  /** Bumped by pause()/resume(): a fetch reply sent before the latest of them does not overrule it. */
  protected pauseEpoch = 0;
  /** The fetch the loop is waiting for (pause() waits for it, so its deliveries are put back before it resolves). */
  protected fetching?: Promise<unknown>;
  private pumping = false;
  private pumpAgain = false;
  /** Starts of one event-loop turn stop after 0.25 ms; the rest start on the next turn. */
  private readonly slice = new StartSlice(() => this.pump());
  /** Set by close(): the loop ends, nothing more starts, deliveries fetched after it are put back. */
  protected closing = false;
  /** When the first handler was registered (the grace of a message of an unhandled type counts from it at the latest). */
  protected startedAt = 0;
  /** Wakes the loop (or close()'s drain) waiting for a slot: a run ended, a handler was registered, a resume. */
  protected slotWaiter?: () => void;
  /** Fetch failures and tier lists of the wrong type, each logged once. */
  private readonly fetchLog: FetchLog;
  /** This process's entry in the queue's worker registry (operator tools). */
  protected readonly heartbeat: WorkerHeartbeat;
  /**
   * Given to every run: one settle callback for all (with the settlement's extender and progress
   * writer, nothing is allocated per message for them; two closures per message before).
   */
  private readonly settler = (run: HandlerRun, outcome: RunOutcome): void => this.finish(run, outcome);

  constructor(
    protected readonly store: QueueStore,
    protected readonly options: ResolvedQueueOptions,
    protected readonly observer: QueueObserver = {},
    logger?: QueueLogger,
  ) {
    this.logger = loggerFor(`Queue:${options.name}`, logger);
    this.gate = new StartGate(this.handlers, options);
    if (options.rateLimit) this.rateLimits.push({ name: '*', ...options.rateLimit });
    this.fetchLog = new FetchLog(this.logger);
    this.settlement = new RunSettlement(store, options, observer, this.logger, this.held);
    this.heartbeat = new WorkerHeartbeat(store, () => ({ concurrency: this.gate.capacity, held: this.held.size, rateLimits: this.rateLimits }), this.logger);
  }

  /** The fetch loop: runs until `closing` (started by the first `register`). */
  protected async run(): Promise<void> {
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
        const wanted = Math.max(0, Math.min(free, this.options.prefetch, FETCH_MAX));
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
        // lease deadline, or idleWaitMs (idleBlockMs capped at the visibility timeout). The store may
        // run our next fetch right on wake-up (Redis: pipelined behind the BLPOP).
        const last: FetchResult = drained ?? { paused: true, nextWakeMs: null, deliveries: [], tiersLeft: 0 };
        const idleCap = idleWaitMs(this.options);
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
          onResult: (result) => {
            this.fetchLog.noteWake(result.wakeProblem);
            this.acceptFetched(result, sentAt, epoch);
          },
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
    // A reply that shows the risen tier but brought none of it was drawn without it (a partitioned
    // store asks each partition by what it said before, and the one that now holds the new tier may
    // have been asked for nothing): its deliveries go back with the refused ones (one without a
    // readable header is accepted, which dead-letters it).
    const drawnWithout = risen < 4 && !result.deliveries.some((d) => tierOf(d) <= risen);
    const refused: DeliveryRef[] = [];
    for (const delivery of result.deliveries) {
      if (this.closing || this.paused || (drawnWithout && tierOf(delivery) < 4))
        refused.push({ id: delivery.id, attempt: delivery.attempt, lease: delivery.lease });
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
            this.start(slot, slot.waiting[tier].shift()!);
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
  protected async releaseWaiting(which: (tier: number) => boolean): Promise<void> {
    const refs: HandlerRun[] = [];
    for (const slot of this.handlers.values()) {
      slot.waiting.forEach((list, tier) => {
        if (list.length === 0 || !which(tier)) return;
        for (const run of list.splice(0)) {
          this.held.remove(run);
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
    run.readyAt = header.delayMs === undefined ? header.createdAt : header.createdAt + header.delayMs;
    this.held.add(run);
    slot.waiting[header.priority].push(run);
    this.waitingCount++;
  }

  private start(slot: HandlerSlot, run: HandlerRun): void {
    slot.running++;
    this.gate.started();
    const m = run.message;
    // a first attempt's wait from when it was ready (a retry's is mostly its backoff: not a wait)
    if (m.attempt === 1) {
      const waitMs = Date.now() - run.readyAt;
      this.observer.started?.(this.options.name, m.type, m.priority, waitMs);
      this.heartbeat.started(waitMs);
    } else this.heartbeat.started();
    run.start(slot.fn, slot.timeoutMs);
  }

  private finish(run: HandlerRun, outcome: RunOutcome): void {
    // a type's slot never changes once registered (a second process() for a type is refused)
    const slot = this.handlers.get(run.message.type)!;
    slot.running--;
    // the same id may be held again already (lease lost, delivered to us anew): only this run goes
    this.held.remove(run);
    const duration = Date.now() - run.startedAt;
    this.gate.ran(duration);
    this.settlement.settle(run, outcome, duration);
    this.pump();
    this.slotWaiter?.();
  }
}

/** The tier a delivery's header names; 4 for one without a readable header (accept dead-letters it). */
function tierOf(delivery: Delivery): number {
  if (delivery.body === null) return 4;
  return decodeHeader(delivery.body)?.header.priority ?? 4;
}
