import type { QueueLogger } from '../../logger';
import { namingKeyType } from '../../redis/key-type-error';
import { LostReadTracker } from '../../redis/lost-read';
import { streamGroupExists } from '../../redis/stream-group';
import type { LuaCommands } from '../../redis/lua-loader';
import { RedisClient, duplicateClient } from '../../redis/redis-connection';
import { FailureBackoff } from '../../util/retry';
import type { ResolvedStreamOptions } from '../event-bus-options';
import type { HandlerPool } from '../handler-pool';
import type { StreamKeys, StreamScript } from './stream-keys';

/**
 * Hands one entry to the bus; resolves when it is buffered (true) or not accepted (false: the bus
 * gave its delivery back, see {@link giveBackDeliveries}). `done` is called once it is settled.
 */
export type StreamDeliver = (entry: { id: string; fields: string[]; deliveries: number }, done: () => void) => Promise<boolean>;

export interface StreamConsumerDeps {
  keys: StreamKeys;
  /** Shared command connection (claims, acks, group creation). */
  client: RedisClient;
  group: string;
  options: ResolvedStreamOptions;
  pool: HandlerPool;
  lua: LuaCommands<StreamScript>;
  logger: QueueLogger;
  deliver: StreamDeliver;
  onDeadLettered(count: number): void;
}

type ReadReply = Array<[string, Array<[string, string[] | null]>]> | null;

/** What {@link giveBackDeliveries} needs: one partition's keys and the group's consumer. */
export type GiveBackDeps = Pick<StreamConsumerDeps, 'keys' | 'client' | 'group' | 'options' | 'lua' | 'logger'>;

/**
 * Gives back the delivery of entries this consumer read but handed to no handler (its subscription
 * ended, or they were discarded from the handler buffer at unsubscribe or close), with release.lua:
 * their delivery count goes down by one and their idle time becomes `claimIdleMs`, so a peer (or a
 * later subscription of this process) claims them at once as the delivery they would have been,
 * instead of a second delivery that could dead-letter them unhandled. Never rejects: an entry not
 * given back stays pending and is reclaimed after `claimIdleMs` (counted as a delivery).
 */
export async function giveBackDeliveries(deps: GiveBackDeps, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const { keys, client, group, options, lua, logger } = deps;
  try {
    await lua.run(client, 'release', [keys.stream], [group, options.consumerName, options.claimIdleMs, ...ids]);
  } catch (error) {
    logger.warn(
      `could not give back ${ids.length} unhandled entries on "${keys.channel}" (reclaimed after claimIdleMs as a further delivery): ${(error as Error).message}`,
    );
  }
}

/**
 * Reads one channel's stream for the service's consumer group: XREADGROUP BLOCK on its own
 * connection (no polling), at most as many entries as the handler buffer has room for. A timer
 * (every `claimIdleMs / 2`) renews the entries it holds and reclaims idle ones with XAUTOCLAIM.
 */
export class StreamChannelConsumer {
  private readonly inflight = new Set<string>();
  /** Entries read (or claimed) and not yet handed to the bus: given back when reading stops before they are. */
  private readonly unhanded = new Set<string>();
  private tickRun?: Promise<void>;
  private blocking?: RedisClient;
  private loop?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** When `start` was called (ms): entries pending for longer were given to a former process of the same name. */
  private startedAt = Date.now();
  private ticking = false;
  private lastError = '';
  /** Entries a read took whose reply was lost with its connection: read back from the pending list. */
  private readonly lostReads = new LostReadTracker();
  /** Resolves when `stop` is called, so no wait inside the loop can hold the stop up. */
  private readonly stopSignal: Promise<undefined>;
  private signalStop!: () => void;

  constructor(private readonly deps: StreamConsumerDeps) {
    this.stopSignal = new Promise((resolve) => (this.signalStop = () => resolve(undefined)));
  }

  get channel(): string {
    return this.deps.keys.channel;
  }

  /** Creates the group (at `startId` when it does not exist yet) and starts reading. */
  async start(startId: string): Promise<void> {
    this.startedAt = Date.now();
    await this.ensureGroup(startId);
    const blocking = duplicateClient(this.deps.client, { blocksUpToMs: this.deps.options.blockMs });
    this.lostReads.watch(blocking);
    this.blocking = blocking;
    this.loop = this.run();
    this.timer = setInterval(() => void this.tick(), Math.max(10, Math.floor(this.deps.options.claimIdleMs / 2)));
    this.timer.unref();
  }

  /**
   * Stops reading. Entries a handler started but did not finish stay pending in the group (reclaimed
   * later, as a further delivery); entries read but never handed to the bus have their delivery
   * given back ({@link giveBackDeliveries}), and so have the entries of a read whose reply the stop
   * cut ({@link cutByStop}). Entries the bus holds are the bus's to give back.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.signalStop();
    if (this.timer) clearInterval(this.timer);
    this.blocking?.disconnect();
    await this.loop;
    await this.tickRun;
    const ids = [...this.unhanded, ...(await this.cutByStop())];
    this.unhanded.clear();
    await giveBackDeliveries(this.deps, ids);
  }

  /**
   * The entries Redis gave this consumer by a read whose reply the stop's disconnect cut: pending
   * for this consumer, newer than every entry it received (so never received: an entry a handler
   * failed was received and waits for its claim) and delivered since it started (not a former
   * process's of the same name). Without this they waited for a peer's claim, as delivery 2. Not
   * looked for while Redis is away.
   */
  private async cutByStop(): Promise<string[]> {
    const { client, keys, group, options } = this.deps;
    // Redis away: nothing to look at now (a close must not wait for it); a peer's claim takes them
    if (client.status !== 'ready') return [];
    const newest = this.lostReads.newestReceived;
    const runningMs = Date.now() - this.startedAt;
    try {
      const pending = (await client.xpending(keys.stream, group, newest ? `(${newest}` : '-', '+', options.readCount, options.consumerName)) as Array<
        [string, string, number, number]
      >;
      return pending.filter(([id, , idleMs]) => idleMs < runningMs && !this.inflight.has(id) && !this.unhanded.has(id)).map(([id]) => id);
    } catch (error) {
      this.deps.logger.warn(`could not look for entries read on "${this.channel}" as it stopped (reclaimed after claimIdleMs): ${(error as Error).message}`);
      return [];
    }
  }

  /** One claim round now (also run by the timer). */
  tick(): Promise<void> {
    if (this.ticking || this.stopped) return Promise.resolve();
    this.tickRun = this.claimRound();
    return this.tickRun;
  }

  private async claimRound(): Promise<void> {
    this.ticking = true;
    const { keys, client, lua, group, options } = this.deps;
    try {
      if (this.inflight.size > 0) {
        await lua.run(client, 'renew', [keys.stream], [group, options.consumerName, ...this.inflight]);
      }
      const free = this.deps.pool.free;
      if (free === 0 || this.stopped) return;
      const [entries, dead] = await lua.run<[Array<[string, number, string[]]>, number]>(
        client,
        'claim',
        [keys.stream, keys.dead],
        [group, options.consumerName, options.claimIdleMs, Math.min(options.readCount, free), options.maxDeliveries, options.deadLetterMaxLen],
      );
      if (dead > 0) this.deps.onDeadLettered(dead);
      for (const [id] of entries) this.unhanded.add(id);
      for (const [id, deliveries, fields] of entries) await this.take(id, fields, Number(deliveries));
    } catch (error) {
      if (!this.stopped) this.warn(`claim on "${this.channel}" failed: ${(error as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  private async run(): Promise<void> {
    const { keys, group, options, pool } = this.deps;
    const backoff = new FailureBackoff(25, 2000); // 50, 100, ... 2000 ms
    while (!this.stopped) {
      try {
        await this.unlessStopped(pool.waitForSpace());
        if (this.stopped) break;
        const readBackFrom = this.lostReads.readBackFrom;
        if (readBackFrom !== undefined) {
          await this.readBack(readBackFrom).finally(() => this.lostReads.readBackDone());
          continue;
        }
        const count = this.readCount();
        const reply = (await this.blocking!.xreadgroup(
          'GROUP',
          group,
          options.consumerName,
          'COUNT',
          count,
          'BLOCK',
          options.blockMs,
          'STREAMS',
          keys.stream,
          '>',
        )) as ReadReply;
        backoff.succeeded();
        this.lastError = '';
        const read = (reply ?? []).flatMap(([, entries]) => entries.filter((e): e is [string, string[]] => e[1] !== null));
        for (const [id] of read) this.unhanded.add(id);
        for (const [id, fields] of read) await this.take(id, fields, 1);
      } catch (error) {
        if (this.stopped) break;
        const message = (error as Error).message;
        if (message.includes('NOGROUP')) {
          // The group or stream vanished (Redis restarted without persistence, or it was deleted):
          // create it again from the start of what is retained, so nothing retained is skipped.
          this.warn(`group "${group}" on "${this.channel}" is gone; creating it again from the start of the stream`);
          await this.ensureGroup('0').catch(() => undefined);
        } else if (message.includes('WRONGTYPE')) {
          this.warn(`reading "${this.channel}" failed: Redis key "${keys.stream}" is not a stream (WRONGTYPE); delete or rename that key`);
        } else {
          this.warn(`reading "${this.channel}" failed: ${message}`);
        }
        const pause = backoff.failed();
        let timer: NodeJS.Timeout | undefined;
        await this.unlessStopped(new Promise((resolve) => (timer = setTimeout(resolve, pause))));
        clearTimeout(timer);
      }
    }
  }

  /**
   * Reads back the entries this consumer was given after `after` but never received (see
   * {@link LostReadTracker}), as delivery 1. Without it they waited for a claim, counted as a second
   * delivery.
   */
  private async readBack(after: string): Promise<void> {
    const { keys, group, options } = this.deps;
    let from = after;
    while (!this.stopped) {
      const count = this.readCount();
      const reply = (await this.blocking!.xreadgroup('GROUP', group, options.consumerName, 'COUNT', count, 'STREAMS', keys.stream, from)) as ReadReply;
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) return;
      const taken = entries.filter((e): e is [string, string[]] => e[1] !== null && !this.lostReads.receivedSinceDrop(e[0]));
      for (const [id] of taken) this.unhanded.add(id);
      // a trimmed entry (no fields) is left to the claim, which acknowledges it
      for (const [id, fields] of taken) await this.take(id, fields, 1);
      from = entries[entries.length - 1][0];
    }
  }

  /** Entries one read asks for: as many as the handler buffer has room for, at most readCount. */
  private readCount(): number {
    return Math.max(1, Math.min(this.deps.options.readCount, this.deps.pool.free));
  }

  /** Hands one read entry to the bus; when stopped, it stays in `unhanded` (given back by `stop`). */
  private async take(id: string, fields: string[], deliveries: number): Promise<void> {
    this.lostReads.received(id);
    if (this.stopped) return;
    this.unhanded.delete(id);
    if (this.inflight.has(id)) return; // already with the bus (read back after a lost reply)
    this.inflight.add(id);
    let settled = false;
    const done = () => {
      settled = true;
      this.inflight.delete(id);
    };
    // A full buffer holds the delivery; stopping must not wait for it (the bus gives back what it
    // holds but never starts: discarded at close, or whose subscription ended).
    const delivered = this.deps.deliver({ id, fields, deliveries }, done).then((accepted) => {
      if (!accepted && !settled) done();
    });
    await this.unlessStopped(delivered);
  }

  private unlessStopped<T>(promise: Promise<T>): Promise<T | undefined> {
    return Promise.race([promise, this.stopSignal]);
  }

  private async ensureGroup(startId: string): Promise<void> {
    const { client, keys, group } = this.deps;
    if (await streamGroupExists(client, keys.stream, group)) return;
    try {
      await client.xgroup('CREATE', keys.stream, group, startId, 'MKSTREAM');
    } catch (error) {
      if (!(error as Error).message.includes('BUSYGROUP')) throw await namingKeyType(client, keys.stream, 'stream', 'XGROUP CREATE', error);
    }
  }

  private warn(message: string): void {
    if (message !== this.lastError) this.deps.logger.warn(message);
    this.lastError = message;
  }
}
