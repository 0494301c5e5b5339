import { uniqueId } from '../../util/unique-id';
import { RedisClient, duplicateClient } from '../../redis/redis-connection';
import { DurabilityOptions, DurableWrites } from '../../redis/durable-writes';
import type { DurabilityTimeoutError } from '../../errors';
import type {
  Completion,
  DeliveryRef,
  FailAction,
  FetchResult,
  PeekSection,
  QueueStore,
  StoreLimits,
  StoredCounts,
  StoredDeadLetter,
  StoredGroupList,
  StoredOldest,
  StoredPeekItem,
  StoredPublish,
  StoredRateState,
  StoredStatus,
  StoredWorker,
  RateLimitSpec,
  WakeFetch,
  WokenFetch,
} from '../queue-store';
import { QueueKeys } from './queue-keys';
import { QueueScriptContext, QueueScriptName, queueCommands } from './queue-scripts';
import { RedisDeadLetters } from './redis-dead-letters';
import { RedisInspection } from './redis-inspection';
import { endedAttempts } from './stored-values';

type FetchReply = [number, number, string[], Array<string | null>, Array<string | null>, number, number?, string[]?];

/** Progress entries kept before progress.lua prunes those of ended deliveries. */
const PROGRESS_KEPT = 512;

export interface RedisQueueStoreOptions {
  /** Connection for commands; shared with other queues, not closed by the store. */
  client: RedisClient;
  /** Key prefix before the `{name}` hash tag (default `mq`). */
  prefix?: string;
  name: string;
  /** The hash tag of the keys (default `name`; a partition of a partitioned queue has its own, see partitioned/partition-layout.ts). */
  tag?: string;
  limits: StoreLimits;
  deadLetterEnabled: boolean;
  /** Replicas every acknowledged write waits for (default none). */
  durability?: DurabilityOptions;
  /** A completion, retry or dead letter the replicas did not confirm in time (publishes reject instead). */
  onDurabilityTimeout?: (error: DurabilityTimeoutError) => void;
}

/** {@link QueueStore} on Redis: every step is one Lua script over the queue's keys. */
export class RedisQueueStore implements QueueStore {
  readonly keys: QueueKeys;
  private readonly client: RedisClient;
  private blocking?: RedisClient;
  private pendingWake?: Promise<WokenFetch | null>;
  /** Ends the current waitForWork at once (interruptWait). */
  private wakeInterrupt?: () => void;
  private readonly lua = queueCommands();
  private closed = false;
  /** Connections listening to the progress channel (onProgress), closed with the store. */
  private readonly subscribers = new Set<RedisClient>();
  private readonly writes: DurableWrites<QueueScriptName>;
  /**
   * The group of each grouped delivery this store fetched and has not settled (`id lease` -> group):
   * complete.lua lowers the group's in-flight count without reading the bodies (fail and release
   * read them; they are not the hot path). Ungrouped deliveries are not kept.
   */
  private readonly groupOf = new Map<string, string>();
  private readonly deadLetters: RedisDeadLetters;
  private readonly inspection: RedisInspection;

  constructor(private readonly options: RedisQueueStoreOptions) {
    this.client = options.client;
    this.keys = new QueueKeys(options.prefix ?? 'mq', options.tag ?? options.name);
    this.lua.install(this.client);
    this.writes = new DurableWrites(this.lua, this.client, `queue "${options.name}"`, options.durability, options.onDurabilityTimeout);
    const context: QueueScriptContext = { client: this.client, keys: this.keys, lua: this.lua, writes: this.writes };
    this.deadLetters = new RedisDeadLetters(context);
    this.inspection = new RedisInspection(context);
  }

  async publish(messages: StoredPublish[]): Promise<string[]> {
    const k = this.keys;
    const keys = [...k.tiers, k.msgs, k.delayed, k.stats, k.results, k.wake, ...k.groupKeys(), k.meta];
    if (messages.every((m) => m.delayMs === 0 && m.idempotencyKey === undefined && m.group === undefined)) {
      const args: string[] = [String(messages.length), 'plain'];
      for (const m of messages) args.push(m.id, m.body);
      await this.writes.run<number>('publish', keys, args, 'publish', 'reject');
      return messages.map((m) => m.id);
    }
    const args: Array<string | number> = [messages.length, 'full'];
    for (const m of messages) {
      let idem = 0;
      if (m.idempotencyKey !== undefined) {
        keys.push(k.idempotency(m.idempotencyKey));
        idem = keys.length;
      }
      args.push(m.priority, m.delayMs, idem, m.idempotencyTtlMs, m.id, m.body, m.group ?? '');
    }
    return this.writes.run<string[]>('publish', keys, args, 'publish', 'reject');
  }

  async fetch(max: number, leaseMs: number, weights: number[] | null, random: number, limits: readonly RateLimitSpec[] = []): Promise<FetchResult> {
    const lease = uniqueId();
    return this.parseFetch(
      await this.lua.run<FetchReply>(this.client, 'fetch', this.fetchKeys(), this.fetchArgs(max, leaseMs, weights, random, lease, limits)),
      lease,
    );
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
    const l = this.options.limits;
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
      this.options.deadLetterEnabled ? '1' : '0',
      lease,
      ...rate,
      l.groupConcurrency ?? 0,
    ];
  }

  private parseFetch([paused, nextWake, ids, bodies, ended, tiersLeft, broken, grouped]: FetchReply, lease: string): FetchResult {
    const brokenTiers = Number(broken ?? 0);
    if (grouped) for (let i = 0; i < grouped.length; i += 2) this.groupOf.set(`${grouped[i]} ${lease}`, grouped[i + 1]);
    return {
      paused: paused === 1,
      tiersLeft: Number(tiersLeft),
      nextWakeMs: nextWake < 0 ? null : nextWake,
      deliveries: ids.map((id, i) => ({ id, body: bodies[i], attempt: endedAttempts(ended[i]) + 1, lease })),
      ...(brokenTiers > 0 ? { brokenTiers: this.keys.tiers.filter((_, t) => brokenTiers & (1 << t)) } : {}),
    };
  }

  private newBlockingClient(): RedisClient {
    const blocking = duplicateClient(this.client);
    this.lua.install(blocking);
    return blocking;
  }

  /**
   * Blocks in BLPOP on the wake list. Redis checks blocking timeouts only on its `hz` tick (100 ms
   * by default), so a local timer ends the wait on time; a BLPOP still pending then is reused by
   * the next wait (a token it takes is never lost: it ends that wait at once).
   */
  async waitForWork(timeoutMs: number, fetch: WakeFetch): Promise<WokenFetch | null> {
    if (this.closed) return null;
    if (!this.pendingWake) {
      const blocking = (this.blocking ??= this.newBlockingClient());
      const block = Math.max(0.01, timeoutMs / 1000);
      // BLPOP then the fetch script on the same connection: Redis runs the fetch the moment the
      // token arrives (or the block times out), with no round trip back to this process.
      const pipeline = blocking.pipeline();
      const lease = uniqueId();
      pipeline.blpop(this.keys.wake, block);
      this.lua.queue(pipeline, 'fetch', this.fetchKeys(), this.fetchArgs(fetch.max, fetch.leaseMs, fetch.weights, fetch.random, lease, fetch.limits));
      const wake = pipeline.exec().then((replies) => {
        const [error, reply] = replies![1];
        if (error) return this.lua.explain(blocking, 'fetch', this.fetchKeys(), error);
        const result = this.parseFetch(reply as FetchReply, lease);
        fetch.onResult(result);
        return { result, max: fetch.max };
      });
      const pending: Promise<WokenFetch | null> = wake
        .catch((error) => {
          // an interrupted wait (close) ends quietly; a real failure reaches the fetch loop
          if (!this.closed && this.blocking === blocking) throw error;
          return null;
        })
        .finally(() => {
          if (this.pendingWake === pending) this.pendingWake = undefined;
        });
      this.pendingWake = pending;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      // Precise waits end on the local timer; an idle safety-net wait lets Redis' own BLPOP timeout
      // (and the fetch pipelined behind it) end it, so it is not fetched twice.
      const localTimeout = fetch.precise ? timeoutMs : timeoutMs + 500;
      return await Promise.race([
        this.pendingWake,
        new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), localTimeout))),
        new Promise<null>((resolve) => (this.wakeInterrupt = () => resolve(null))),
      ]);
    } finally {
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
    this.wakeInterrupt?.();
    blocking?.disconnect();
  }

  async complete(items: Completion[]): Promise<DeliveryRef[]> {
    const k = this.keys;
    const args: Array<string | number> = [this.options.limits.completedCount, this.options.limits.completedAgeMs, items.length];
    // Runs of deliveries with the same lease token (one fetch's deliveries share it) name it once:
    // token, run length, then id and record per delivery (order kept: stale positions refer to it).
    let countAt = 0;
    let runStart = 0;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (i === 0 || item.lease !== items[i - 1].lease) {
        if (i > 0) args[countAt] = i - runStart;
        countAt = args.push(item.lease, 0) - 1;
        runStart = i;
      }
      args.push(item.id, item.record);
    }
    if (items.length > 0) args[countAt] = items.length - runStart;
    if (this.groupOf.size > 0) this.groupArgs(items, args);
    const keys = [k.msgs, k.inflight, k.leases, k.att, k.errors, k.done, k.results, k.stats, ...k.groupKeys(), k.meta, k.wake];
    const stale = await this.writes.run<number[]>('complete', keys, args, 'completion', 'report');
    return stale.map((position) => {
      const { id, attempt, lease } = items[position - 1];
      return { id, attempt, lease };
    });
  }

  /** Appends to complete's arguments the grouped deliveries among `items` (count, then position and group each), and forgets them. */
  private groupArgs(items: readonly DeliveryRef[], args: Array<string | number>): void {
    const countAt = args.push(0) - 1;
    items.forEach((item, i) => {
      const key = `${item.id} ${item.lease}`;
      const group = this.groupOf.get(key);
      if (group === undefined) return;
      this.groupOf.delete(key);
      args.push(i + 1, group);
      (args[countAt] as number)++;
    });
  }

  /** A settled delivery's group is no longer needed (fail and release read it from the body). */
  private forgetGroups(refs: readonly DeliveryRef[]): void {
    if (this.groupOf.size > 0) for (const r of refs) this.groupOf.delete(`${r.id} ${r.lease}`);
  }

  async fail(ref: DeliveryRef, action: FailAction): Promise<boolean> {
    this.forgetGroups([ref]);
    const k = this.keys;
    const l = this.options.limits;
    const json = action.kind === 'retry' ? action.errorJson : action.kind === 'dead' ? action.infoJson : '';
    const counts = action.kind === 'retry' || action.countsAsFailure ? '1' : '0';
    const applied = await this.writes.run<number>(
      'fail',
      [...k.tiers, k.msgs, k.inflight, k.delayed, k.att, k.errors, k.dlq, k.dlqinfo, k.stats, k.wake, k.leases, ...k.groupKeys(), k.meta],
      [ref.id, ref.attempt, action.kind, action.kind === 'retry' ? action.delayMs : 0, json, counts, l.deadLetterMaxSize, l.deadLetterMaxAgeMs, ref.lease],
      action.kind === 'retry' ? 'retry' : action.kind === 'dead' ? 'dead letter' : 'drop',
      'report',
    );
    return applied === 1;
  }

  async extend(refs: DeliveryRef[], leaseMs: number): Promise<DeliveryRef[]> {
    if (refs.length === 0) return [];
    const args: Array<string | number> = [leaseMs, refs.length];
    for (const r of refs) args.push(r.id, r.lease);
    const stale = await this.lua.run<number[]>(this.client, 'extend', [this.keys.inflight, this.keys.leases], args);
    const lost = stale.map((position) => refs[position - 1]);
    this.forgetGroups(lost);
    return lost;
  }

  async progress(ref: DeliveryRef, json: string, eventJson: string): Promise<boolean> {
    const k = this.keys;
    return (await this.lua.run<number>(this.client, 'progress', [k.leases, k.progress], [ref.id, ref.lease, json, PROGRESS_KEPT, eventJson, k.progress])) === 1;
  }

  async subscribeProgress(listener: (eventJson: string) => void): Promise<() => Promise<void>> {
    const channel = this.keys.progress;
    const conn = duplicateClient(this.client);
    conn.on('message', (from: string, message: string) => {
      if (from === channel) listener(message);
    });
    await conn.subscribe(channel);
    this.subscribers.add(conn);
    return async () => {
      if (!this.subscribers.delete(conn)) return;
      await conn.quit().catch(() => conn.disconnect());
    };
  }

  async release(refs: DeliveryRef[], delayMs: number): Promise<void> {
    if (refs.length === 0) return;
    const k = this.keys;
    const args: Array<string | number> = [delayMs, refs.length];
    for (const r of refs) args.push(r.id, r.lease);
    this.forgetGroups(refs);
    await this.lua.run(this.client, 'release', [...k.tiers, k.msgs, k.inflight, k.delayed, k.leases, k.wake, ...k.groupKeys(), k.meta], args);
  }

  async cancel(id: string): Promise<boolean> {
    const k = this.keys;
    const keys = [...k.tiers, k.msgs, k.delayed, k.att, k.errors, k.stats, ...k.parked, ...k.rings, k.grun, k.gqueued];
    return (await this.lua.run<number>(this.client, 'cancel', keys, [id])) === 1;
  }

  status(id: string): Promise<StoredStatus | null> {
    return this.inspection.status(id);
  }

  counts(): Promise<StoredCounts> {
    return this.inspection.counts();
  }

  deadLetterPage(offset: number, limit: number): Promise<{ items: StoredDeadLetter[]; total: number }> {
    return this.deadLetters.page(offset, limit);
  }

  deadLetterGet(id: string): Promise<StoredDeadLetter | null> {
    return this.deadLetters.get(id);
  }

  deadLetterReplay(ids: string[] | null, limit: number): Promise<string[]> {
    return this.deadLetters.replay(ids, limit);
  }

  deadLetterDelete(ids: string[] | null, limit: number): Promise<number> {
    return this.deadLetters.delete(ids, limit);
  }

  peek(section: PeekSection, offset: number, limit: number): Promise<{ items: StoredPeekItem[]; total: number }> {
    return this.inspection.peek(section, offset, limit);
  }

  async heartbeat(id: string, record: string, staleMs: number): Promise<void> {
    await this.lua.run(this.client, 'workers', [this.keys.workers, this.keys.workerinfo], ['beat', staleMs, id, record]);
  }

  async removeWorker(id: string): Promise<void> {
    await this.lua.run(this.client, 'workers', [this.keys.workers, this.keys.workerinfo], ['remove', 0, id]);
  }

  workers(staleMs: number): Promise<{ now: number; items: StoredWorker[] }> {
    return this.inspection.workers(staleMs);
  }

  rateState(scanMax: number): Promise<StoredRateState> {
    return this.inspection.rateState(scanMax);
  }

  groupList(ringMax: number): Promise<StoredGroupList> {
    return this.inspection.groupList(ringMax);
  }

  oldestWaiting(ringMax: number): Promise<StoredOldest> {
    return this.inspection.oldestWaiting(ringMax);
  }

  async setPaused(paused: boolean): Promise<void> {
    await this.lua.run(this.client, 'set-paused', [this.keys.meta, this.keys.wake], [paused ? '1' : '0']);
  }

  async isPaused(): Promise<boolean> {
    return (await this.client.hget(this.keys.meta, 'paused')) === '1';
  }

  async close(): Promise<void> {
    this.closed = true;
    this.interruptWait();
    const subscribers = [...this.subscribers];
    this.subscribers.clear();
    await Promise.all(subscribers.map((conn) => conn.quit().catch(() => conn.disconnect())));
  }
}
