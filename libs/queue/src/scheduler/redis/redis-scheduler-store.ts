import { join } from 'path';
import { LuaCommands } from '../../redis/lua-loader';
import { duplicateClient, RedisClient } from '../../redis/redis-connection';
import { DurabilityOptions, DurableWrites } from '../../redis/durable-writes';
import type { DurabilityTimeoutError } from '../../errors';
import type { AdvanceStep, DueBatch, SchedulerStore, StoredSchedulerCounts, StoredSchedules } from '../scheduler-store';
import { QueueKeys } from '../../queue/redis/queue-keys';
import { partitionTagOfId } from '../../queue/partitioned/partition-layout';
import { ChangeWaiter } from '../change-waiter';

const SCRIPTS = ['upsert', 'remove', 'due', 'nudge', 'advance', 'once-add', 'once-remove', 'list', 'task-start', 'task-end', 'counts'] as const;
type ScriptName = (typeof SCRIPTS)[number];

let commands: LuaCommands<ScriptName> | undefined;
/** The scheduler's Lua commands (prefix `sch`), read from disk once per process. */
export function schedulerCommands(): LuaCommands<ScriptName> {
  return (commands ??= new LuaCommands(join(__dirname, 'lua'), SCRIPTS, 'sch'));
}

/** Every Redis key of one scheduler: `<prefix>:{<name>}:sch:<suffix>` (one hash tag, one Cluster slot). */
export class SchedulerKeys {
  readonly rec: string;
  readonly next: string;
  readonly once: string;
  readonly oncedefs: string;
  readonly stats: string;
  readonly active: string;
  /** Pub/sub channel (not a key) announcing definition changes. */
  readonly channel: string;

  constructor(prefix: string, name: string) {
    const base = `${prefix}:{${name}}:sch:`;
    this.rec = `${base}rec`;
    this.next = `${base}next`;
    this.once = `${base}once`;
    this.oncedefs = `${base}oncedefs`;
    this.stats = `${base}stats`;
    this.active = `${base}active`;
    this.channel = `${base}changed`;
  }

  all(): string[] {
    return [this.rec, this.next, this.once, this.oncedefs, this.stats, this.active];
  }
}

/** {@link SchedulerStore} on Redis; definition changes are announced over pub/sub. */
export class RedisSchedulerStore implements SchedulerStore {
  readonly keys: SchedulerKeys;
  private readonly lua = schedulerCommands();
  private readonly waiter = new ChangeWaiter();
  private subscriber?: RedisClient;
  private readonly writes: DurableWrites<ScriptName>;

  constructor(
    private readonly client: RedisClient,
    prefix: string,
    name: string,
    private readonly queuePrefix = 'mq',
    durable: { durability?: DurabilityOptions; onTimeout?: (error: DurabilityTimeoutError) => void } = {},
  ) {
    this.keys = new SchedulerKeys(prefix, name);
    this.lua.install(client);
    this.writes = new DurableWrites(this.lua, client, `scheduler "${name}"`, durable.durability, durable.onTimeout);
  }

  /** Subscribes to definition changes (the loop calls it once before its first wait). */
  async subscribe(): Promise<void> {
    if (this.subscriber) return;
    const sub = duplicateClient(this.client, { subscriber: true });
    this.subscriber = sub;
    sub.on('message', () => this.waiter.wake());
    // After a reconnect ioredis subscribes again; changes made meanwhile are caught by a wake-up.
    sub.on('ready', () => this.waiter.wake());
    await sub.subscribe(this.keys.channel);
  }

  async upsertRecurring(key: string, definitionJson: string, sig: string, nextRunAt: number): Promise<boolean> {
    const k = this.keys;
    return (await this.writes.run<number>('upsert', [k.rec, k.next], [key, definitionJson, sig, nextRunAt, k.channel], 'schedule', 'reject')) === 1;
  }

  async removeRecurring(key: string): Promise<boolean> {
    return (await this.writes.run<number>('remove', [this.keys.rec, this.keys.next], [key, this.keys.channel], 'unschedule', 'reject')) === 1;
  }

  async due(limit: number, onceAfter: number): Promise<DueBatch> {
    const k = this.keys;
    const [now, wait, keys, runs, defs, onceDue] = await this.lua.run<[number, number, string[], string[], Array<string | null>, string[]]>(
      this.client,
      'due',
      [k.next, k.rec, k.once, k.oncedefs],
      [limit, onceAfter],
    );
    return {
      now: Number(now),
      waitMs: wait < 0 ? null : Number(wait),
      items: keys.map((key, i) => ({ key, occurrence: Number(runs[i]), definition: defs[i] ?? null })),
      onceDue,
    };
  }

  async nudgeQueue(queue: string, messageId: string): Promise<void> {
    await this.lua.run(this.client, 'nudge', [new QueueKeys(this.queuePrefix, partitionTagOfId(queue, messageId)).wake], []);
  }

  async advance(steps: readonly AdvanceStep[]): Promise<boolean[]> {
    if (steps.length === 0) return [];
    const args = steps.flatMap((s) => [s.key, s.occurrence, s.nextRunAt, s.fired ? '1' : '0']);
    const advanced = await this.writes.run<number[]>('advance', [this.keys.next, this.keys.stats], args, 'occurrence', 'report');
    return advanced.map((a) => a === 1);
  }

  async addOnce(id: string, dueAt: number, info: string): Promise<void> {
    await this.writes.run('once-add', [this.keys.once, this.keys.oncedefs, this.keys.stats], [id, dueAt, info, this.keys.channel], 'schedule', 'reject');
  }

  async removeOnce(id: string): Promise<boolean> {
    return (await this.writes.run<number>('once-remove', [this.keys.once, this.keys.oncedefs], [id], 'unschedule', 'reject')) === 1;
  }

  async list(): Promise<StoredSchedules> {
    const k = this.keys;
    const [once, rec] = await this.lua.run<[string[], string[]]>(this.client, 'list', [k.once, k.oncedefs, k.rec, k.next], []);
    const out: StoredSchedules = { once: [], recurring: [] };
    for (let i = 0; i < once.length; i += 3) out.once.push({ id: once[i], dueAt: Number(once[i + 1]), info: once[i + 2] });
    for (let i = 0; i < rec.length; i += 3) out.recurring.push({ key: rec[i], nextRunAt: Number(rec[i + 1]), definition: rec[i + 2] });
    return out;
  }

  async taskStarted(token: string, ttlMs: number): Promise<void> {
    await this.lua.run(this.client, 'task-start', [this.keys.active], [token, ttlMs]);
  }

  async taskEnded(token: string, outcome: 'completed' | 'failed'): Promise<void> {
    await this.lua.run(this.client, 'task-end', [this.keys.active, this.keys.stats], [token, outcome]);
  }

  async counts(): Promise<StoredSchedulerCounts> {
    const k = this.keys;
    const [flat, active, once, recurring] = await this.lua.run<[string[], number, number, number]>(
      this.client,
      'counts',
      [k.stats, k.active, k.once, k.rec],
      [],
    );
    const counters: Record<string, number> = {};
    // a damaged counter field (not an integer) reads as 0; the next increment resets it (counter.lua)
    for (let i = 0; i < flat.length; i += 2) {
      const n = Number(flat[i + 1]);
      counters[flat[i]] = Number.isInteger(n) ? n : 0;
    }
    return { counters, active, once, recurring };
  }

  waitForChange(timeoutMs: number): Promise<void> {
    return this.waiter.wait(timeoutMs);
  }

  interruptWait(): void {
    this.waiter.wake();
  }

  async close(): Promise<void> {
    this.waiter.wake();
    const sub = this.subscriber;
    this.subscriber = undefined;
    sub?.disconnect();
  }
}
