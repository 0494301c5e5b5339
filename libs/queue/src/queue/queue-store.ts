/**
 * The storage contract under a {@link TaskQueue}: the atomic steps of a message's life. The
 * Redis store does each step in one Lua script; the memory store does it synchronously in one
 * process. Everything above this line (validation, handlers, leases, retries) is shared, so both
 * backends have the same semantics by construction and the conformance suite checks the stores.
 *
 * Ids are chosen by the producer (`uniqueId` in util/unique-id.ts: unique without any stored state), so they
 * never repeat, even after the store lost its data, and a publish sent twice is stored once.
 *
 * Attempts: the store keeps, per message, the number of attempts that *ended* (failed or whose
 * lease expired). A delivery's attempt number is that count + 1.
 *
 * Leases: every fetch gives its deliveries a lease token that no other delivery has (a fresh
 * unique id per fetch; the pair id + token is unique). A step that names a delivery (complete,
 * fail, extend, release) carries that token and is ignored unless the message is in flight under
 * it: a late worker cannot settle a redelivery (after its lease expired, or it was put back and
 * taken again) nor a different message, whatever happened to the store in between.
 */

export interface StoredPublish {
  /** Tier index 0 (critical) .. 3 (low). */
  priority: number;
  delayMs: number;
  /** Encoded body (see message-codec). */
  body: string;
  idempotencyKey?: string;
  idempotencyTtlMs: number;
  /** The message's group (also in its body's header), absent for an ungrouped message. */
  group?: string;
  /**
   * Chosen by the producer (`uniqueId`). A message whose id the store already has (queued,
   * delayed, in flight, dead, or completed within the retention) is skipped: a re-sent publish is
   * applied once.
   */
  id: string;
}

export interface Delivery extends DeliveryRef {
  /** Null when nothing is stored under the id (a garbage entry in a tier list). */
  body: string | null;
}

/**
 * The most messages one fetch may take (fetch.lua unpacks a few arguments per message taken, and
 * Lua's unpack stops near 8,000): a worker that may take more (a larger `prefetch` and
 * concurrency) fetches again.
 */
export const FETCH_MAX = 1000;

export interface FetchResult {
  deliveries: Delivery[];
  paused: boolean;
  /** When fewer than asked were taken: ms until the next delayed message is due or lease expires (null: none). */
  nextWakeMs: number | null;
  /**
   * Tiers that still have ready messages after this fetch took its share: bit t (1 << t) for tier t
   * (0 = critical). 0 when paused. The worker learns from it whether messages it holds are outranked.
   */
  tiersLeft: number;
  /** Keys of tier lists that hold the wrong Redis type: the fetch skipped them (absent when none). */
  brokenTiers?: string[];
  /**
   * Set on the result of a wait for work whose wake-up list could not be waited on (it names the
   * key and why): no wake-up can end such a wait, so it lasted its whole time (absent when fine).
   */
  wakeProblem?: string;
}

/**
 * A rate limit sent with a fetch: `name` '*' limits the whole queue, any other name one task type
 * (docs/queue.md, "Rate limits"). At most `max` messages are taken per `perMs` (token bucket).
 */
export interface RateLimitSpec {
  name: string;
  max: number;
  perMs: number;
}

/** The rate-limit state of a queue as stored (operator tools; {@link QueueStore.rateState}). */
export interface StoredRateState {
  /** The store's clock now (ms). */
  now: number;
  /** Limit name ('*' the whole queue, else a task type) -> theoretical arrival time of its token bucket (ms, GCRA). */
  tats: Record<string, number>;
  /** Messages parked behind a type's limit, per tier (critical .. low). */
  parked: [number, number, number, number];
  /** Parked messages per task type, over the first `looked` of them (tiers in order, each head first). */
  parkedByType: Record<string, number>;
  looked: number;
}

/** One group of a queue as stored (operator tools; {@link QueueStore.groupList}). */
export interface StoredGroup {
  group: string;
  /** Ready messages per tier (critical .. low). */
  ready: [number, number, number, number];
  /** Messages in flight. */
  running: number;
  /** Out of the rotation at its `groupConcurrency` limit until one of its deliveries ends. */
  blocked: boolean;
  /** Creation time (ms) of the oldest message at the heads of its lists (null: none ready). */
  oldestAt: number | null;
}

/** The groups {@link QueueStore.groupList} found, and whether a ring had more than it read. */
export interface StoredGroupList {
  items: StoredGroup[];
  more: boolean;
}

/** Per tier (critical .. low): creation time (ms) of the message waiting longest, null when none waits. */
export type StoredOldest = [number | null, number | null, number | null, number | null];

export interface WakeFetch {
  /**
   * True when the wait ends at a due time (delayed message, lease deadline) that must be met
   * closely; false when it is only the idle safety net, so the store's own timeout may end it.
   */
  precise: boolean;
  max: number;
  leaseMs: number;
  weights: number[] | null;
  random: number;
  /** Rate limits the take must keep (empty: none, and the fetch does no extra work). */
  limits: readonly RateLimitSpec[];
  onResult(result: FetchResult): void;
}

export interface WokenFetch {
  result: FetchResult;
  max: number;
}

/** Names one delivery of a message: only the worker that fetched it holds its lease token. */
export interface DeliveryRef {
  id: string;
  /** Ended attempts + 1 at the time of the fetch (what the handler sees as `ctx.attempt`). */
  attempt: number;
  /** The token of this delivery's lease (see the header of this file). */
  lease: string;
}

export interface Completion extends DeliveryRef {
  /** JSON of `{ r: result, f: finishedAt, t: type, a: attempts, c: createdAt }`, or '' to keep no result. */
  record: string;
}

export type FailAction =
  | { kind: 'retry'; delayMs: number; errorJson: string }
  | { kind: 'dead'; infoJson: string; countsAsFailure: boolean }
  | { kind: 'drop'; countsAsFailure: boolean };

export interface StoreLimits {
  /**
   * Most messages of one group in flight at once across every worker (docs/queue.md, "Groups");
   * 0 or absent: no limit. Kept by the fetch of every store that has it configured.
   */
  groupConcurrency?: number;
  deadLetterMaxSize: number;
  deadLetterMaxAgeMs: number;
  completedCount: number;
  completedAgeMs: number;
}

export interface StoredStatus {
  state: 'pending' | 'delayed' | 'processing' | 'retrying' | 'completed' | 'dead';
  body: string | null;
  /** Ended attempts (for processing: the running one is not included). */
  endedAttempts: number;
  nextAt: number | null;
  /** completed: result record; retrying: last error JSON; dead: dead-letter info JSON. */
  detail: string | null;
  /** processing: the running delivery's last progress (JSON) and when it was written (ms); absent when it reported none. */
  progress?: { json: string; at: number };
}

export interface StoredCounts {
  tiers: [number, number, number, number];
  processing: number;
  delayed: number;
  dead: number;
  counters: Record<string, number>;
  /** Groups (docs/queue.md, "Groups"): in a rotation (summed over tiers), blocked at their concurrency limit, with messages in flight. */
  groups?: { ready: number; blocked: number; running: number };
}

export interface StoredDeadLetter {
  id: string;
  body: string | null;
  infoJson: string;
  deadAt: number;
}

/** A part of a queue to look at: a tier (0 critical .. 3 low, head first), the leases, the delayed set, the completed results. */
export type PeekSection = 0 | 1 | 2 | 3 | 'inflight' | 'delayed' | 'completed';

/** One entry of {@link QueueStore.peek}. */
export interface StoredPeekItem {
  id: string;
  /** Null when no body is stored (a garbage id; completed messages keep only their `record`). */
  body: string | null;
  endedAttempts: number;
  /** inflight: lease deadline; delayed: due time; completed: finished time; tiers: null. */
  at: number | null;
  /** completed: the result record JSON. */
  record?: string;
  /** inflight: the lease token of the delivery (a `uniqueId`: when it was taken, by which process). */
  lease?: string;
  /** inflight: the delivery's last progress, when it reported one (as in {@link StoredStatus}). */
  progress?: { json: string; at: number };
}

/** A worker process of the queue as its last heartbeat left it (the queue's worker registry). */
export interface StoredWorker {
  /** The process tag that ends its lease tokens (`processTag()` in util/unique-id.ts). */
  id: string;
  /** Last heartbeat (ms, the store's clock). */
  seenAt: number;
  /** The JSON record it sent (host, pid, ...: `WorkerRecord` in worker/worker-heartbeat.ts). */
  record: string | null;
}

export interface QueueStore {
  /**
   * All or nothing; returns ids in input order (an existing id for a repeated idempotency key).
   * Messages whose id is already stored are skipped (a re-sent call is applied once).
   */
  publish(messages: StoredPublish[]): Promise<string[]>;
  /**
   * Atomically: move due delayed messages to their tier, put expired leases back (dead-lettering
   * those past maxRetries), then take up to `max` ready messages and record them in flight with
   * a lease of `leaseMs`. `weights` (one per tier) selects weighted mode; `random` in [0, 1) is the
   * start of the golden-ratio draw sequence (each message taken advances it by 0.618...). `max` is
   * at most {@link FETCH_MAX}, and may be 0: nothing is taken, the result only reports (paused,
   * tiers left). `limits` (default none) are kept on the store's clock across every worker: a message whose limit has no token now is
   * skipped and keeps its place (a bounded scan of each tier's head), its tier is not reported in
   * `tiersLeft` when nothing else there could be taken, and `nextWakeMs` includes when its next
   * token is due.
   */
  fetch(max: number, leaseMs: number, weights: number[] | null, random: number, limits?: readonly RateLimitSpec[]): Promise<FetchResult>;
  /**
   * Resolves when work may be available (a publish, a resume, a retry) or after `timeoutMs`.
   * A store may run `fetch` the moment it is woken, without a round trip back (Redis: the fetch
   * script is pipelined behind the BLPOP): its result goes to `fetch.onResult`, possibly after
   * this call returned (when the local timer ended the wait first), and the call resolves to it
   * when it came in time. A store that does not (memory) resolves to null.
   */
  waitForWork(timeoutMs: number, fetch: WakeFetch): Promise<WokenFetch | null>;
  /** Interrupts a pending `waitForWork` (used by close). */
  interruptWait(): void;
  /** Returns the refs that were stale (no longer in flight under that lease). */
  complete(items: Completion[]): Promise<DeliveryRef[]>;
  /** Returns false when the delivery was stale. */
  fail(ref: DeliveryRef, action: FailAction): Promise<boolean>;
  /**
   * Records the progress (JSON) of a delivery, replacing its previous one. Ignored (false) unless
   * the message is in flight under this lease: a late value from an earlier delivery never shows.
   * Only called by handlers that report progress (throttled by the worker). When recorded,
   * `eventJson` (a `ProgressEvent`'s JSON) goes to the `subscribeProgress` listeners of every
   * process (Redis: PUBLISH in the same script).
   */
  progress(ref: DeliveryRef, json: string, eventJson: string): Promise<boolean>;
  /** Listens to the progress events of the queue; resolves once listening, to the function that stops it. */
  subscribeProgress(listener: (eventJson: string) => void): Promise<() => Promise<void>>;
  /** Renews leases; returns the stale refs. */
  extend(refs: DeliveryRef[], leaseMs: number): Promise<DeliveryRef[]>;
  /** Puts deliveries back without counting the attempt: to the head of the tier, or delayed by `delayMs`. */
  release(refs: DeliveryRef[], delayMs: number): Promise<void>;
  /** Removes a message that has not started (pending, delayed, waiting for a retry); false otherwise. */
  cancel(id: string): Promise<boolean>;
  status(id: string): Promise<StoredStatus | null>;
  counts(): Promise<StoredCounts>;
  deadLetterPage(offset: number, limit: number): Promise<{ items: StoredDeadLetter[]; total: number }>;
  deadLetterGet(id: string): Promise<StoredDeadLetter | null>;
  /** Replays the given ids (or up to `limit` oldest when ids is null); returns the replayed ids. */
  deadLetterReplay(ids: string[] | null, limit: number): Promise<string[]>;
  /** Deletes the given ids (or up to `limit` when ids is null); returns how many were removed. */
  deadLetterDelete(ids: string[] | null, limit: number): Promise<number>;
  /** Read-only: up to `limit` entries of one section from `offset` (tiers head first, sets soonest first, completed newest first). */
  peek(section: PeekSection, offset: number, limit: number): Promise<{ items: StoredPeekItem[]; total: number }>;
  /**
   * Worker registry (operator tools; no step above reads it): records or refreshes a worker of the
   * queue, and forgets workers not seen for `staleMs`.
   */
  heartbeat(id: string, record: string, staleMs: number): Promise<void>;
  /** Forgets a worker (its process stopped consuming). */
  removeWorker(id: string): Promise<void>;
  /** Workers seen within `staleMs` (oldest heartbeat first), and the store's clock now. */
  workers(staleMs: number): Promise<{ now: number; items: StoredWorker[] }>;
  /**
   * Rate limits as they stand (operator tools; no step above reads it): every token bucket's state
   * and the parked messages, per tier, and per task type over at most `scanMax` of them.
   */
  rateState(scanMax: number): Promise<StoredRateState>;
  /**
   * Groups as they stand (operator tools; no step above reads it): the first `ringMax` groups of
   * each tier's rotation, every blocked group and every group with messages in flight (in no order).
   */
  groupList(ringMax: number): Promise<StoredGroupList>;
  /**
   * Per tier, the creation time of the message waiting longest (operator tools): the oldest of the
   * heads of the tier list, of its parked messages, of the lists of the first `ringMax` groups of
   * its rotation and of the blocked groups' lists. A group further down the rotation is not seen.
   */
  oldestWaiting(ringMax: number): Promise<StoredOldest>;
  setPaused(paused: boolean): Promise<void>;
  isPaused(): Promise<boolean>;
  close(): Promise<void>;
}
