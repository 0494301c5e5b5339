import { randomUUID } from 'crypto';
import { join } from 'path';
import { DurabilityOptions, DurableWrites } from '../../redis/durable-writes';
import type { DurabilityTimeoutError } from '../../errors';
import { namingKeyType } from '../../redis/key-type-error';
import { streamGroupExists } from '../../redis/stream-group';
import { LuaCommands } from '../../redis/lua-loader';
import { parseJsonOr } from '../../util/json';
import { duplicateClient, RedisClient } from '../../redis/redis-connection';
import type { DispatcherStore, FinishInput, ProgressInput, Reply, ResultEntry } from '../dispatcher-store';

const SCRIPTS = ['finish', 'progress'] as const;
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
}

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
        Math.max(60_000, this.options.claimIdleMs),
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
      Math.max(60_000, this.options.claimIdleMs),
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
      this.resultsConn ??= duplicateClient(this.client, { blocksUpToMs: blockMs });
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

  async ack(entryIds: string[]): Promise<void> {
    if (entryIds.length > 0) await this.client.xack(this.keys.results, this.options.service, ...entryIds);
  }

  async readReplies(blockMs: number, more = true): Promise<Reply[]> {
    if (this.closed) return [];
    const key = this.keys.reply(this.replyAddress);
    this.repliesConn ??= duplicateClient(this.client, { blocksUpToMs: blockMs });
    try {
      const first = await this.repliesConn.blpop(key, Math.max(0.01, blockMs / 1000));
      if (!first) return [];
      // more replies waiting only when more than this one caller is waiting (saves a round trip per reply)
      const rest = more ? ((await this.client.lpop(key, 1000)) ?? []) : [];
      return [first[1], ...rest].flatMap((raw) => {
        const r = parseJsonOr<{ t?: unknown; ok?: unknown; v?: unknown; p?: unknown; a?: unknown } | null, null>(raw, null);
        if (r && typeof r.t === 'string' && typeof r.ok === 'boolean' && typeof r.v === 'string')
          return [r.p === 1 ? { taskId: r.t, ok: r.ok, valueJson: r.v, progress: true, attempt: Number(r.a) || 1 } : { taskId: r.t, ok: r.ok, valueJson: r.v }];
        this.options.onBadReply?.(key, raw);
        return [];
      });
    } catch (error) {
      if (this.closed) return [];
      throw await namingKeyType(this.client, key, 'list', 'BLPOP', error);
    }
  }

  interrupt(): void {
    for (const conn of [this.resultsConn, this.repliesConn]) conn?.disconnect();
    this.resultsConn = undefined;
    this.repliesConn = undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.interrupt();
    await this.client.del(this.keys.reply(this.replyAddress)).catch(() => undefined);
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
