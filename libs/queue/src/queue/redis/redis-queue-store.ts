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
import { FetchedGroups } from './fetched-groups';
import { QueueKeys } from './queue-keys';
import { QueueScriptContext, QueueScriptName, queueCommands } from './queue-scripts';
import { RedisDeadLetters } from './redis-dead-letters';
import { RedisFetcher } from './redis-fetcher';
import { RedisInspection } from './redis-inspection';

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
  /** The longest wait for work the worker asks (its `idleBlockMs`, at most its lease; default the longest `idleBlockMs` accepted). */
  maxWaitMs?: number;
  /** Replicas every acknowledged write waits for (default none). */
  durability?: DurabilityOptions;
  /** A completion, retry or dead letter the replicas did not confirm in time (publishes reject instead). */
  onDurabilityTimeout?: (error: DurabilityTimeoutError) => void;
}

/**
 * {@link QueueStore} on Redis: every step is one Lua script over the queue's keys. The publish and
 * settle steps (complete, fail, extend, release, progress, cancel) are here; the fetch and the wait
 * for work are {@link RedisFetcher}'s, the dead letters {@link RedisDeadLetters}', the reads for
 * operators (status, counts, listings) {@link RedisInspection}'s.
 */
export class RedisQueueStore implements QueueStore {
  readonly keys: QueueKeys;
  private readonly client: RedisClient;
  private readonly lua = queueCommands();
  /** Connections listening to the progress channel (onProgress), closed with the store. */
  private readonly subscribers = new Set<RedisClient>();
  private readonly writes: DurableWrites<QueueScriptName>;
  /** Groups of the grouped deliveries the fetcher took and no step settled yet (complete.lua is sent them). */
  private readonly groups = new FetchedGroups();
  private readonly fetcher: RedisFetcher;
  private readonly deadLetters: RedisDeadLetters;
  private readonly inspection: RedisInspection;

  constructor(private readonly options: RedisQueueStoreOptions) {
    this.client = options.client;
    this.keys = new QueueKeys(options.prefix ?? 'mq', options.tag ?? options.name);
    this.lua.install(this.client);
    this.writes = new DurableWrites(this.lua, this.client, `queue "${options.name}"`, options.durability, options.onDurabilityTimeout);
    const context: QueueScriptContext = { client: this.client, keys: this.keys, lua: this.lua, writes: this.writes };
    this.fetcher = new RedisFetcher(context, options, this.groups);
    this.deadLetters = new RedisDeadLetters(context);
    this.inspection = new RedisInspection(context, options.limits.completedAgeMs);
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

  fetch(max: number, leaseMs: number, weights: number[] | null, random: number, limits?: readonly RateLimitSpec[]): Promise<FetchResult> {
    return this.fetcher.fetch(max, leaseMs, weights, random, limits);
  }

  waitForWork(timeoutMs: number, fetch: WakeFetch): Promise<WokenFetch | null> {
    return this.fetcher.waitForWork(timeoutMs, fetch);
  }

  interruptWait(): void {
    this.fetcher.interruptWait();
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
    this.groups.appendCompleteArgs(items, args);
    const keys = [k.msgs, k.inflight, k.leases, k.att, k.errors, k.done, k.results, k.stats, ...k.groupKeys(), k.meta, k.wake];
    const stale = await this.writes.run<number[]>('complete', keys, args, 'completion', 'report');
    return stale.map((position) => {
      const { id, attempt, lease } = items[position - 1];
      return { id, attempt, lease };
    });
  }

  async fail(ref: DeliveryRef, action: FailAction): Promise<boolean> {
    this.groups.forget([ref]);
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
    this.groups.forget(lost);
    return lost;
  }

  async progress(ref: DeliveryRef, json: string, eventJson: string): Promise<boolean> {
    const k = this.keys;
    return (await this.lua.run<number>(this.client, 'progress', [k.leases, k.progress], [ref.id, ref.lease, json, PROGRESS_KEPT, eventJson, k.progress])) === 1;
  }

  async subscribeProgress(listener: (eventJson: string) => void): Promise<() => Promise<void>> {
    const channel = this.keys.progress;
    const conn = duplicateClient(this.client, { subscriber: true });
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
    this.groups.forget(refs);
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
    this.fetcher.close();
    const subscribers = [...this.subscribers];
    this.subscribers.clear();
    await Promise.all(subscribers.map((conn) => conn.quit().catch(() => conn.disconnect())));
  }
}
