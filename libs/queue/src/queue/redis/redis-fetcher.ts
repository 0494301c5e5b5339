import { sleepUnlessAborted } from '../../util/abort';
import { uniqueId } from '../../util/unique-id';
import { RedisClient, duplicateClient } from '../../redis/redis-connection';
import type { LuaCommands } from '../../redis/lua-loader';
import { MAX_IDLE_BLOCK_MS } from '../queue-options';
import type { FetchResult, RateLimitSpec, StoreLimits, WakeFetch, WokenFetch } from '../queue-store';
import type { FetchedGroups } from './fetched-groups';
import type { QueueKeys } from './queue-keys';
import type { QueueScriptContext, QueueScriptName } from './queue-scripts';
import { endedAttempts } from './stored-values';

type FetchReply = [number, number, string[], Array<string | null>, Array<string | null>, number, number?, string[]?];

/** The store options the fetch reads (read on every fetch, as the store's own options). */
export interface FetchSettings {
  readonly limits: StoreLimits;
  readonly deadLetterEnabled: boolean;
  /** The longest wait for work asked (longer ones block this long; default {@link MAX_IDLE_BLOCK_MS}): the blocking connection owes a reply up to that long. */
  readonly maxWaitMs?: number;
}

/**
 * The fetch path of a `RedisQueueStore`: fetch.lua on the command connection, and the wait for
 * work on a blocking connection of its own (BLPOP on the wake list with the fetch pipelined behind it).
 * The groups of the grouped deliveries it takes go to `groups` (complete.lua needs them).
 */
export class RedisFetcher {
  private readonly client: RedisClient;
  private readonly keys: QueueKeys;
  private readonly lua: LuaCommands<QueueScriptName>;
  private blocking?: RedisClient;
  private pendingWake?: Promise<WokenFetch | null>;
  /** Whether a waitForWork call is waiting on `pendingWake` now (its result then ends that call). */
  private listening = false;
  /**
   * A wake-up that took a token when no call was waiting on it (its call had ended on its local
   * timer): its fetch went to onResult, but the token would otherwise be lost, and with it what the
   * fetch said is due (a retry, a delayed message). The next waitForWork returns it at once. (A BLPOP
   * that timed out took nothing: the next wait blocks anew.)
   */
  private unseenWake?: { woken: WokenFetch; at: number };
  /** Ends the current waitForWork at once (interruptWait). */
  private wakeInterrupt?: () => void;
  /** Aborted by interruptWait: ends the idle waits on a wake-up list that cannot be waited on (see waitForWork). */
  private idleAbort = new AbortController();
  private closed = false;

  constructor(
    context: QueueScriptContext,
    private readonly settings: FetchSettings,
    private readonly groups: FetchedGroups,
  ) {
    this.client = context.client;
    this.keys = context.keys;
    this.lua = context.lua;
  }

  async fetch(max: number, leaseMs: number, weights: number[] | null, random: number, limits: readonly RateLimitSpec[] = []): Promise<FetchResult> {
    const lease = uniqueId();
    return this.parseFetch(
      await this.lua.run<FetchReply>(this.client, 'fetch', this.fetchKeys(), this.fetchArgs(max, leaseMs, weights, random, lease, limits)),
      lease,
    );
  }

  /**
   * Blocks in BLPOP on the wake list. Redis checks blocking timeouts only on its `hz` tick (100 ms
   * by default), so a local timer ends the wait on time; a BLPOP still pending then is reused by
   * the next wait (a token it takes is never lost: it ends that wait at once).
   */
  async waitForWork(timeoutMs: number, fetch: WakeFetch): Promise<WokenFetch | null> {
    if (this.closed) return null;
    const unseen = this.unseenWake;
    if (unseen) {
      this.unseenWake = undefined;
      return aged(unseen.woken, Date.now() - unseen.at);
    }
    if (!this.pendingWake) {
      const blocking = (this.blocking ??= this.newBlockingClient());
      const block = Math.max(0.01, Math.min(timeoutMs, this.maxWaitMs) / 1000);
      // BLPOP then the fetch script on the same connection: Redis runs the fetch the moment the
      // token arrives (or the block times out), with no round trip back to this process.
      const pipeline = blocking.pipeline();
      const lease = uniqueId();
      pipeline.blpop(this.keys.wake, block);
      this.lua.queue(pipeline, 'fetch', this.fetchKeys(), this.fetchArgs(fetch.max, fetch.leaseMs, fetch.weights, fetch.random, lease, fetch.limits));
      /** The BLPOP took a wake-up token (it did not time out): what it tells must reach a wait. */
      let tookToken = false;
      const wake = pipeline.exec().then(async (replies) => {
        const [blockError, popped] = replies![0];
        tookToken = !blockError && popped !== null;
        const [error, reply] = replies![1];
        if (error) return this.lua.explain(blocking, 'fetch', this.fetchKeys(), error);
        const result = this.parseFetch(reply as FetchReply, lease);
        if (blockError) result.wakeProblem = wakeProblem(this.keys.wake, blockError);
        fetch.onResult(result);
        // A BLPOP that fails at once (the wake list holds the wrong type) cannot be woken: the wait
        // lasts its time all the same, so an idle worker does not spin on it.
        if (blockError && result.deliveries.length === 0 && !result.paused) await sleepUnlessAborted(timeoutMs, this.idleAbort.signal).catch(() => undefined);
        return { result, max: fetch.max };
      });
      const pending: Promise<WokenFetch | null> = wake
        .catch((error) => {
          // an interrupted wait (close) ends quietly; a real failure reaches the fetch loop
          if (!this.closed && this.blocking === blocking) throw error;
          return null;
        })
        .then((woken) => {
          if (woken && tookToken && !this.listening && this.pendingWake === pending) this.unseenWake = { woken, at: Date.now() };
          return woken;
        })
        .finally(() => {
          if (this.pendingWake === pending) this.pendingWake = undefined;
        });
      this.pendingWake = pending;
    }
    let timer: NodeJS.Timeout | undefined;
    // `listening` goes false the moment the local timer or an interrupt ends the wait, so a wake-up
    // settling right after is kept for the next call (unseenWake), not dropped
    this.listening = true;
    const stop = (resolve: (value: null) => void) => () => {
      this.listening = false;
      resolve(null);
    };
    try {
      // Precise waits end on the local timer; an idle safety-net wait lets Redis' own BLPOP timeout
      // (and the fetch pipelined behind it) end it, so it is not fetched twice.
      const localTimeout = fetch.precise ? timeoutMs : timeoutMs + 500;
      return await Promise.race([
        this.pendingWake,
        new Promise<null>((resolve) => (timer = setTimeout(stop(resolve), localTimeout))),
        new Promise<null>((resolve) => (this.wakeInterrupt = stop(resolve))),
      ]);
    } finally {
      this.listening = false;
      clearTimeout(timer);
      this.wakeInterrupt = undefined;
    }
  }

  interruptWait(): void {
    // Dropping the blocking connection ends a pending BLPOP; the wait itself ends at once even where
    // the client settles its pending commands late (a Cluster client that is still connecting, or
    // retrying a closed connection). A fetch reply that still arrives goes to onResult as before.
    const blocking = this.blocking;
    this.blocking = undefined;
    this.pendingWake = undefined;
    this.unseenWake = undefined;
    this.wakeInterrupt?.();
    this.idleAbort.abort();
    this.idleAbort = new AbortController();
    blocking?.disconnect();
  }

  /** Ends the pending wait; every later waitForWork resolves to null at once. */
  close(): void {
    this.closed = true;
    this.interruptWait();
  }

  private fetchKeys(): string[] {
    const k = this.keys;
    return [
      ...k.tiers,
      k.msgs,
      k.inflight,
      k.delayed,
      k.att,
      k.errors,
      k.dlq,
      k.dlqinfo,
      k.stats,
      k.meta,
      k.wake,
      k.leases,
      k.rate,
      ...k.parked,
      ...k.groupKeys(),
    ];
  }

  /** `lease`: the token of every delivery this fetch takes (a fresh unique id per fetch). */
  private fetchArgs(
    max: number,
    leaseMs: number,
    weights: number[] | null,
    random: number,
    lease: string,
    limits: readonly RateLimitSpec[],
  ): Array<string | number> {
    const l = this.settings.limits;
    const rate: Array<string | number> = [limits.length];
    for (const r of limits) rate.push(r.name, r.max, r.perMs);
    return [
      max,
      leaseMs,
      weights ? 'w' : 's',
      ...(weights ?? [0, 0, 0, 0]),
      random,
      l.deadLetterMaxSize,
      l.deadLetterMaxAgeMs,
      this.settings.deadLetterEnabled ? '1' : '0',
      lease,
      ...rate,
      l.groupConcurrency ?? 0,
    ];
  }

  private parseFetch([paused, nextWake, ids, bodies, ended, tiersLeft, broken, grouped]: FetchReply, lease: string): FetchResult {
    const brokenTiers = Number(broken ?? 0);
    if (grouped) this.groups.remember(grouped, lease);
    return {
      paused: paused === 1,
      tiersLeft: Number(tiersLeft),
      nextWakeMs: nextWake < 0 ? null : nextWake,
      deliveries: ids.map((id, i) => ({ id, body: bodies[i], attempt: endedAttempts(ended[i]) + 1, lease })),
      ...(brokenTiers > 0 ? { brokenTiers: this.keys.tiers.filter((_, t) => brokenTiers & (1 << t)) } : {}),
    };
  }

  private get maxWaitMs(): number {
    return this.settings.maxWaitMs ?? MAX_IDLE_BLOCK_MS;
  }

  private newBlockingClient(): RedisClient {
    // a BLPOP owes its reply up to its block time: only past that is a silent connection dead
    const blocking = duplicateClient(this.client, { blocksUpToMs: this.maxWaitMs });
    this.lua.install(blocking);
    return blocking;
  }
}

/** A wake-up kept for `ageMs`: its next due time counted from now. */
function aged(woken: WokenFetch, ageMs: number): WokenFetch {
  const next = woken.result.nextWakeMs;
  return next === null ? woken : { ...woken, result: { ...woken.result, nextWakeMs: Math.max(0, next - ageMs) } };
}

/** What a failed BLPOP on the wake list says in the worker's log: the key, never a bare WRONGTYPE. */
function wakeProblem(key: string, error: Error): string {
  return /^WRONGTYPE/.test(error.message) ? `wake-up list ${key} holds the wrong Redis type` : `wake-up list ${key}: ${error.message}`;
}
