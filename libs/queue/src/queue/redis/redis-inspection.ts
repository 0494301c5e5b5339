import type {
  PeekSection,
  StoredCounts,
  StoredGroup,
  StoredGroupList,
  StoredOldest,
  StoredPeekItem,
  StoredRateState,
  StoredStatus,
  StoredWorker,
} from '../queue-store';
import type { QueueScriptContext } from './queue-scripts';
import { endedAttempts, progressEntry } from './stored-values';

/**
 * The reads of a `RedisQueueStore` that no message step needs: a message's status, the counts, the
 * listings for operators (peek, workers, rate limits, groups, oldest waiting). None of them writes.
 */
export class RedisInspection {
  constructor(
    private readonly context: QueueScriptContext,
    /** `completedRetention.ageMs`: a result older than this is not shown, even before a later completion prunes it. */
    private readonly completedAgeMs: number,
  ) {}

  async status(id: string): Promise<StoredStatus | null> {
    const { client, keys: k, lua } = this.context;
    const reply = await lua.run<[StoredStatus['state'], string | null, number, string | null, string | null, (string | null)?] | null>(
      client,
      'status',
      [k.msgs, k.inflight, k.delayed, k.att, k.errors, k.results, k.dlq, k.dlqinfo, k.leases, k.progress, k.done],
      [id, this.completedAgeMs],
    );
    if (!reply) return null;
    const [state, body, ended, nextAt, detail, progress] = reply;
    const status: StoredStatus = { state, body, endedAttempts: Number(ended), nextAt: nextAt === null ? null : Number(nextAt), detail };
    if (progress) {
      const space = progress.indexOf(' ');
      status.progress = { at: Number(progress.slice(0, space)), json: progress.slice(space + 1) };
    }
    return status;
  }

  async counts(): Promise<StoredCounts> {
    const { client, keys: k, lua } = this.context;
    const r = await lua.run<[number, number, number, number, number, number, number, string[], number, number, number]>(
      client,
      'counts',
      [...k.tiers, k.inflight, k.delayed, k.dlq, k.stats, ...k.parked, ...k.groupKeys(), k.meta],
      [],
    );
    const counters: Record<string, number> = {};
    // a damaged counter field (not an integer) reads as 0; the next increment resets it (counter.lua)
    for (let i = 0; i < r[7].length; i += 2) counters[r[7][i]] = endedAttempts(r[7][i + 1]);
    return {
      tiers: [r[0], r[1], r[2], r[3]],
      processing: r[4],
      delayed: r[5],
      dead: r[6],
      counters,
      groups: { ready: Number(r[8]), blocked: Number(r[9]), running: Number(r[10]) },
    };
  }

  /** Read-only: the ids and scores of the section, then their bodies and attempts (plain commands; the completed results by a script). */
  async peek(section: PeekSection, offset: number, limit: number): Promise<{ items: StoredPeekItem[]; total: number }> {
    if (section === 'completed') return this.peekCompleted(offset, limit);
    const { client, keys: k } = this.context;
    const stop = offset + limit - 1;
    const read = client.multi();
    let ids: string[] = [];
    const at: Array<number | null> = [];
    if (typeof section === 'number') {
      read.lrange(k.tiers[section], offset, stop).llen(k.tiers[section]);
      const [[, range], [, total]] = (await read.exec()) as Array<[Error | null, unknown]>;
      ids = range as string[];
      ids.forEach(() => at.push(null));
      return { total: Number(total), items: await this.peekBodies(ids, at) };
    }
    const key = section === 'inflight' ? k.inflight : k.delayed;
    read.zrange(key, offset, stop, 'WITHSCORES').zcard(key);
    const [[, flat], [, total]] = (await read.exec()) as Array<[Error | null, unknown]>;
    const pairs = flat as string[];
    for (let i = 0; i < pairs.length; i += 2) {
      ids.push(pairs[i]);
      at.push(Number(pairs[i + 1]));
    }
    if (section === 'delayed') return { total: Number(total), items: await this.peekBodies(ids, at) };
    const [items, leases, progress] = await Promise.all([
      this.peekBodies(ids, at),
      ids.length > 0 ? client.hmget(k.leases, ...ids) : [],
      ids.length > 0 ? client.hmget(k.progress, ...ids) : [],
    ]);
    return {
      total: Number(total),
      items: items.map((item, i) => {
        const lease = leases[i];
        if (!lease) return item;
        const shown = progressEntry(progress[i], lease);
        return shown ? { ...item, lease, progress: shown } : { ...item, lease };
      }),
    };
  }

  /** The completed results newest first, those past `completedRetention.ageMs` left out (peek-completed.lua, the store's clock). */
  private async peekCompleted(offset: number, limit: number): Promise<{ items: StoredPeekItem[]; total: number }> {
    const { client, keys: k, lua } = this.context;
    const [total, flat] = await lua.run<[number, Array<string | null>]>(client, 'peek-completed', [k.done, k.results], [offset, limit, this.completedAgeMs]);
    const items: StoredPeekItem[] = [];
    for (let i = 0; i < flat.length; i += 3) {
      items.push({ id: flat[i] as string, body: null, endedAttempts: 0, at: Number(flat[i + 1]), record: flat[i + 2] ?? undefined });
    }
    return { total: Number(total), items };
  }

  /** The worker registry (workers.lua `list`); the heartbeats that fill it are the store's. */
  async workers(staleMs: number): Promise<{ now: number; items: StoredWorker[] }> {
    const { client, keys: k, lua } = this.context;
    const [now, ids, seen, records] = await lua.run<[number, string[], string[], Array<string | null>]>(
      client,
      'workers',
      [k.workers, k.workerinfo],
      ['list', staleMs],
    );
    return { now: Number(now), items: ids.map((id, i) => ({ id, seenAt: Number(seen[i]), record: records[i] ?? null })) };
  }

  async rateState(scanMax: number): Promise<StoredRateState> {
    const { client, keys: k, lua } = this.context;
    const [now, tats, lens, byType, looked] = await lua.run<[number, string[], number[], Array<string | number>, number]>(
      client,
      'rate-state',
      [k.rate, k.msgs, ...k.parked],
      [scanMax],
    );
    const state: StoredRateState = { now: Number(now), tats: {}, parked: [lens[0], lens[1], lens[2], lens[3]], parkedByType: {}, looked: Number(looked) };
    for (let i = 0; i + 1 < tats.length; i += 2) state.tats[tats[i]] = Number(tats[i + 1]);
    for (let i = 0; i + 1 < byType.length; i += 2) state.parkedByType[String(byType[i])] = Number(byType[i + 1]);
    return state;
  }

  async groupList(ringMax: number): Promise<StoredGroupList> {
    const { client, keys: k, lua } = this.context;
    const [rows, more] = await lua.run<[Array<[string, number, number, number, number, number, number, number]>, number]>(
      client,
      'group-list',
      [...k.rings, k.grun, k.gblocked, k.msgs],
      [ringMax],
    );
    const items = rows.map(
      ([group, c, h, n, l, running, blocked, oldest]): StoredGroup => ({
        group: String(group),
        ready: [Number(c), Number(h), Number(n), Number(l)],
        running: Number(running),
        blocked: Number(blocked) === 1,
        oldestAt: Number(oldest) < 0 ? null : Number(oldest),
      }),
    );
    return { items, more: Number(more) === 1 };
  }

  async oldestWaiting(ringMax: number): Promise<StoredOldest> {
    const { client, keys: k, lua } = this.context;
    const at = await lua.run<number[]>(client, 'oldest', [...k.tiers, ...k.parked, ...k.rings, k.gblocked, k.msgs], [ringMax]);
    return at.map((v) => (Number(v) < 0 ? null : Number(v))) as StoredOldest;
  }

  private async peekBodies(ids: string[], at: Array<number | null>): Promise<StoredPeekItem[]> {
    if (ids.length === 0) return [];
    const { client, keys: k } = this.context;
    const read = client
      .multi()
      .hmget(k.msgs, ...ids)
      .hmget(k.att, ...ids);
    const [[, bodies], [, ended]] = (await read.exec()) as Array<[Error | null, Array<string | null>]>;
    return ids.map((id, i) => ({ id, body: bodies[i], endedAttempts: Number(ended[i] ?? 0), at: at[i] }));
  }
}
