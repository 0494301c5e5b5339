import { randomUUID } from 'crypto';
import { join } from 'path';
import { DurabilityOptions, DurableWrites } from '../../redis/durable-writes';
import type { DurabilityTimeoutError } from '../../errors';
import { namingKeyType } from '../../redis/key-type-error';
import { LostReadTracker } from '../../redis/lost-read';
import { streamGroupExists } from '../../redis/stream-group';
import { LuaCommands } from '../../redis/lua-loader';
import { parseJsonOr } from '../../util/json';
import { duplicateClient, RedisClient } from '../../redis/redis-connection';
import type { DispatcherStore, FinishInput, ProgressInput, Reply, ResultEntry } from '../dispatcher-store';

const SCRIPTS = ['finish', 'progress', 'take-replies', 'renew'] as const;
type ScriptName = (typeof SCRIPTS)[number];

let commands: LuaCommands<ScriptName> | undefined;
/** The dispatcher's Lua commands (prefix `dsp`), read from disk once per process. */
export function dispatcherCommands(): LuaCommands<ScriptName> {
  return (commands ??= new LuaCommands(join(__dirname, 'lua'), SCRIPTS, 'dsp'));
}

/** Keys of one service: `<prefix>:{<service>}:dsp:<suffix>` (one hash tag, one Cluster slot). */
export class DispatcherKeys {
  readonly results: string;
  private readonly base: string;

  constructor(prefix: string, service: string) {
    this.base = `${prefix}:{${service}}:dsp:`;
    this.results = `${this.base}results`;
  }

  /** Marker of a task whose outcome was written (once per task). */
  done(taskId: string): string {
    return `${this.base}done:${taskId}`;
  }

  reply(instanceId: string): string {
    return `${this.base}reply:${instanceId}`;
  }

  /** Replies the instance took from its reply list and has not surely handed out yet (see readReplies). */
  taken(instanceId: string): string {
    return `${this.base}reply:${instanceId}:taken`;
  }
}

/** Most replies one read takes beyond the first. */
const MORE_REPLIES = 1000;

export interface RedisDispatcherStoreOptions {
  client: RedisClient;
  prefix: string;
  service: string;
  retentionMs: number;
  resultsMaxLen: number;
  /** Results delivered to an instance that did not acknowledge them within this are taken over. */
  claimIdleMs: number;
  /** Consumer name in the service's group (default: a new id per instance). */
  consumerName?: string;
  /** Replicas every finished task's record waits for (default none). */
  durability?: DurabilityOptions;
  onDurabilityTimeout?: (error: DurabilityTimeoutError) => void;
  /** Called with the key and the text of a reply that is not a reply record (it is dropped). */
  onBadReply?: (key: string, raw: string) => void;
}

type StreamEntry = [string, string[]] | null;

/** {@link DispatcherStore} on Redis: a results stream per service, a reply list per instance, a once-marker per finished task. */
export class RedisDispatcherStore implements DispatcherStore {
  readonly replyAddress = randomUUID();
  readonly keys: DispatcherKeys;
  private readonly lua = dispatcherCommands();
  private readonly client: RedisClient;
  private readonly consumer: string;
  private resultsConn?: RedisClient;
  private repliesConn?: RedisClient;
  private groupReady = false;
  private ownPendingRead = false;
  private claimCursor = '0-0';
  private nextClaimAt = 0;
  private closed = false;
  /** Results a read took whose reply was lost with its connection: read back from the pending list. */
  private readonly lostReads = new LostReadTracker();
  /** Replies the last read handed out, at the head of the taken list until the next read trims them (take-replies.lua). */
  private handedOut: string[] = [];
  /** A read was cut off by its connection dropping: the next read takes the taken list first, without blocking. */
  private readBack = false;
  private readonly writes: DurableWrites<ScriptName>;

  constructor(private readonly options: RedisDispatcherStoreOptions) {
    this.client = options.client;
    this.keys = new DispatcherKeys(options.prefix, options.service);
    this.consumer = options.consumerName ?? this.replyAddress;
    this.lua.install(this.client);
    this.writes = new DurableWrites(this.lua, this.client, `dispatcher "${options.service}"`, options.durability, options.onDurabilityTimeout);
  }

  private keysFor(origin: string): DispatcherKeys {
    return origin === this.options.service ? this.keys : new DispatcherKeys(this.options.prefix, origin);
  }

  async finish(f: FinishInput): Promise<boolean> {
    const k = this.keysFor(f.origin);
    const keys = [k.done(f.taskId), k.results];
    if (f.replyTo) keys.push(k.reply(f.replyTo));
    const written = await this.writes.run<number>(
      'finish',
      keys,
      [
        f.ok ? '1' : '0',
        f.valueJson,
        f.attempts,
        this.options.retentionMs,
        this.options.resultsMaxLen,
        f.taskId,
        f.type,
        f.webhookUrl ?? '',
        this.replyTtlMs(),
        f.traceparent ?? '',
        f.tracestate ?? '',
      ],
      'task result',
      'report',
    );
    return written === 1;
  }

  async progress(p: ProgressInput): Promise<boolean> {
    const k = this.keysFor(p.origin);
    const keys = [k.done(p.taskId), k.results];
    if (p.replyTo) keys.push(k.reply(p.replyTo));
    const written = await this.lua.run<number>(this.client, 'progress', keys, [
      p.valueJson,
      p.attempt,
      this.options.resultsMaxLen,
      p.taskId,
      p.type,
      p.toResults ? '1' : '0',
      this.replyTtlMs(),
    ]);
    return written === 1;
  }

  async readResults(count: number, blockMs: number): Promise<ResultEntry[]> {
    if (this.closed) return [];
    try {
      await this.ensureGroup();
      const group = this.options.service;
      if (!this.ownPendingRead) {
        // entries this consumer name read before a restart and never acknowledged
        const own = (await this.client.xreadgroup('GROUP', group, this.consumer, 'COUNT', count, 'STREAMS', this.keys.results, '0')) as Array<
          [string, StreamEntry[]]
        > | null;
        const entries = own?.[0]?.[1] ?? [];
        if (entries.length < count) this.ownPendingRead = true;
        if (entries.length > 0) return this.parse(entries);
      }
      const readBack = await this.readBackPage(count);
      if (readBack.length > 0) return readBack;
      if (Date.now() >= this.nextClaimAt) {
        const [cursor, claimed] = (await this.client.call(
          'XAUTOCLAIM',
          this.keys.results,
          group,
          this.consumer,
          String(this.options.claimIdleMs),
          this.claimCursor,
          'COUNT',
          String(count),
        )) as [string, StreamEntry[]];
        this.claimCursor = cursor;
        if (cursor === '0-0') this.nextClaimAt = Date.now() + Math.max(500, Math.floor(this.options.claimIdleMs / 2));
        const parsed = this.parse(claimed);
        if (parsed.length > 0) return parsed;
      }
      // the dispatcher reads with its one blockMs setting: the connection owes a reply that long
      if (!this.resultsConn) {
        this.resultsConn = duplicateClient(this.client, { blocksUpToMs: blockMs });
        this.lostReads.watch(this.resultsConn);
      }
      const block = Math.max(1, Math.min(blockMs, this.nextClaimAt - Date.now()));
      const read = (await this.resultsConn.xreadgroup(
        'GROUP',
        group,
        this.consumer,
        'COUNT',
        count,
        'BLOCK',
        block,
        'STREAMS',
        this.keys.results,
        '>',
      )) as Array<[string, StreamEntry[]]> | null;
      return this.parse(read?.[0]?.[1] ?? []);
    } catch (error) {
      if (this.closed) return [];
      // a damaged stream: the group is made again (NOGROUP), or the key is named (WRONGTYPE)
      if (/NOGROUP|WRONGTYPE/.test((error as Error).message)) this.groupReady = false;
      throw await namingKeyType(this.client, this.keys.results, 'stream', 'XREADGROUP', error);
    }
  }

  /**
   * After the results connection dropped and is ready again: one page of the results its lost read
   * took (see {@link LostReadTracker}), as a history read of this consumer's pending list; empty when
   * none is due, or the page held only results received since the drop. Without it they waited for
   * their claim (`claimIdleMs`).
   */
  private async readBackPage(count: number): Promise<ResultEntry[]> {
    const from = this.lostReads.readBackFrom;
    if (from === undefined) return [];
    const reply = (await this.client.xreadgroup('GROUP', this.options.service, this.consumer, 'COUNT', count, 'STREAMS', this.keys.results, from)) as Array<
      [string, StreamEntry[]]
    > | null;
    const entries = reply?.[0]?.[1] ?? [];
    const last = entries[entries.length - 1];
    if (!last) {
      this.lostReads.readBackDone();
      return [];
    }
    this.lostReads.readBackTo(last[0]);
    // a trimmed entry (no fields) is left to the claim, which acknowledges it
    return this.parse(entries.filter((entry) => entry && entry[1] && !this.lostReads.receivedSinceDrop(entry[0])));
  }

  async ack(entryIds: string[]): Promise<void> {
    if (entryIds.length > 0) await this.client.xack(this.keys.results, this.options.service, ...entryIds);
  }

  /** A third of `claimIdleMs`: a renewal a little late (a busy event loop) still comes before a peer's claim. */
  get renewEveryMs(): number {
    return Math.max(10, Math.floor(this.options.claimIdleMs / 3));
  }

  /** renew.lua: XCLAIM ... JUSTID to this consumer of the entries still its own (no delivery counted). */
  async renew(entryIds: string[]): Promise<void> {
    if (entryIds.length === 0 || this.closed) return;
    await this.lua.run(this.client, 'renew', [this.keys.results], [this.options.service, this.consumer, ...entryIds]);
  }

  /**
   * Reads this instance's replies. A reply is not popped but moved to the instance's taken list
   * (BLMOVE, and take-replies.lua for more), where it stays until this instance has handed it out:
   * each read first trims what the last one handed out (only when still there, so a read sent
   * again after a reconnect trims nothing twice) and returns what is left, so a reply whose read
   * reply was lost (the connection died while Redis answered) is handed out by the next read
   * instead of being gone. At maxmemory, where Redis refuses BLMOVE, a reply is popped (BLPOP).
   */
  async readReplies(blockMs: number, more = true): Promise<Reply[]> {
    if (this.closed) return [];
    const key = this.keys.reply(this.replyAddress);
    const taken = this.keys.taken(this.replyAddress);
    try {
      if (this.readBack) {
        // the last read was cut off: what it took is handed out now, not after the next block
        this.readBack = false;
        const left = await this.lua.run<string[]>(this.client, 'take-replies', [key, taken], this.takeArgs(0));
        this.handedOut = left;
        if (left.length > 0) return this.parseReplies(key, left);
      }
      const conn = (this.repliesConn ??= this.openRepliesConnection(blockMs));
      const blockSeconds = Math.max(0.01, blockMs / 1000);
      const pipeline = conn.pipeline();
      this.lua.queue(pipeline, 'take-replies', [key, taken], this.takeArgs(0));
      pipeline.blmove(key, taken, 'LEFT', 'RIGHT', blockSeconds);
      // run by Redis as soon as the BLMOVE returns: a taken list it made outlives no instance
      pipeline.pexpire(taken, this.replyTtlMs());
      const [settled, moved] = (await this.whileConnected(conn, pipeline.exec())) ?? [];
      if (!settled || settled[0]) await this.lua.explain(conn, 'take-replies', [key, taken], settled?.[0] ?? new Error('no reply to take-replies'));
      this.handedOut = [];
      // what earlier reads took and never handed out: normally nothing
      const left = settled![1] as string[];
      const [moveError, first] = moved ?? [new Error('no reply to BLMOVE')];
      if (moveError && !/^OOM /.test(moveError.message)) throw moveError;
      if (moveError && left.length === 0) return await this.popReplies(conn, key, blockSeconds);
      if (typeof first === 'string' && more)
        this.handedOut = await this.whileConnected(conn, this.lua.run<string[]>(conn, 'take-replies', [key, taken], this.takeArgs(MORE_REPLIES)));
      else this.handedOut = typeof first === 'string' ? [...left, first] : left;
      return this.parseReplies(key, this.handedOut);
    } catch (error) {
      if (this.closed) return [];
      throw await namingKeyType(this.client, key, 'list', 'BLMOVE', error);
    }
  }

  /** take-replies.lua's arguments: settle what was handed out, move up to `most` more. */
  private takeArgs(most: number): Array<string | number> {
    const handed = this.handedOut;
    return [handed.length, handed[0] ?? '', handed[handed.length - 1] ?? '', most, this.replyTtlMs()];
  }

  /** A read at maxmemory, where Redis refuses BLMOVE: BLPOP, so a reply whose read reply is lost is gone. */
  private async popReplies(conn: RedisClient, key: string, blockSeconds: number): Promise<Reply[]> {
    const popped = await conn.blpop(key, blockSeconds);
    return popped ? this.parseReplies(key, [popped[1]]) : [];
  }

  private parseReplies(key: string, raws: string[]): Reply[] {
    return raws.flatMap((raw) => {
      const r = parseJsonOr<{ t?: unknown; ok?: unknown; v?: unknown; p?: unknown; a?: unknown } | null, null>(raw, null);
      if (r && typeof r.t === 'string' && typeof r.ok === 'boolean' && typeof r.v === 'string')
        return [r.p === 1 ? { taskId: r.t, ok: r.ok, valueJson: r.v, progress: true, attempt: Number(r.a) || 1 } : { taskId: r.t, ok: r.ok, valueJson: r.v }];
      this.options.onBadReply?.(key, raw);
      return [];
    });
  }

  /**
   * `work`, sent on `conn`; rejects as soon as `conn` drops after `work` may have reached Redis (it
   * was ready when `work` was sent, or became ready since). Redis may have run it and its reply is
   * lost: instead of letting ioredis send it again (a BLMOVE blocking anew while what the first one
   * took waits in the taken list), the connection is closed and the next read takes the taken list
   * at once. (A Cluster client reports no single node's drop: there the read sent again returns it.)
   */
  private async whileConnected<T>(conn: RedisClient, work: Promise<T>): Promise<T> {
    let mayHaveRun = conn.status === 'ready';
    const onReady = () => void (mayHaveRun = true);
    let onClose = () => undefined as void;
    const dropped = new Promise<never>((_, reject) => {
      onClose = () => {
        if (!mayHaveRun) return;
        this.readBack = true;
        if (this.repliesConn === conn) this.repliesConn = undefined;
        conn.disconnect();
        reject(new Error('the connection reading replies dropped during a read (what the read took is handed out next)'));
      };
    });
    conn.on('ready', onReady).on('close', onClose);
    work.catch(() => undefined);
    try {
      return await Promise.race([work, dropped]);
    } finally {
      conn.off('ready', onReady).off('close', onClose);
    }
  }

  /** The blocking connection that reads replies: its socket timeout covers the longest block. */
  private openRepliesConnection(blockMs: number): RedisClient {
    const conn = duplicateClient(this.client, { blocksUpToMs: blockMs });
    this.lua.install(conn);
    return conn;
  }

  interrupt(): void {
    for (const conn of [this.resultsConn, this.repliesConn]) conn?.disconnect();
    this.resultsConn = undefined;
    this.repliesConn = undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.interrupt();
    await this.client.del(this.keys.reply(this.replyAddress), this.keys.taken(this.replyAddress)).catch(() => undefined);
  }

  /** How long a reply list (and a taken list) outlives its last write: its instance may be gone. */
  private replyTtlMs(): number {
    return Math.max(60_000, this.options.claimIdleMs);
  }

  private async ensureGroup(): Promise<void> {
    if (this.groupReady) return;
    if (await streamGroupExists(this.client, this.keys.results, this.options.service)) {
      this.groupReady = true;
      return;
    }
    try {
      await this.client.xgroup('CREATE', this.keys.results, this.options.service, '0', 'MKSTREAM');
    } catch (error) {
      if (!/BUSYGROUP/.test((error as Error).message)) throw await namingKeyType(this.client, this.keys.results, 'stream', 'XGROUP CREATE', error);
    }
    this.groupReady = true;
  }

  private parse(entries: StreamEntry[]): ResultEntry[] {
    const out: ResultEntry[] = [];
    for (const entry of entries) {
      if (!entry) continue;
      const [entryId, flat] = entry;
      this.lostReads.received(entryId);
      const f: Record<string, string> = {};
      for (let i = 0; i < flat.length; i += 2) f[flat[i]] = flat[i + 1];
      out.push({
        entryId,
        taskId: f.taskId,
        type: f.type,
        ok: f.ok === '1',
        valueJson: f.value,
        attempts: Number(f.attempts),
        finishedAt: Number(f.finishedAt),
        webhookUrl: f.hook || undefined,
        traceparent: f.traceparent || undefined,
        tracestate: f.tracestate || undefined,
        ...(f.progress === '1' ? { progress: true } : {}),
      });
    }
    return out;
  }
}
