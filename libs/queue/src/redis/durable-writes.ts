import { Cluster } from 'ioredis';
import { DurabilityTimeoutError, QueueConfigError } from '../errors';
import { sleep } from '../util/retry';
import { CLUSTER_MAX_REDIRECTIONS, CLUSTER_RETRY_DELAY_MS } from './cluster-options';
import type { LuaCommands } from './lua-loader';
import { isConnectionError, RedisClient, socketTimeoutOf } from './redis-connection';

/**
 * How many replicas must have a write before it is acknowledged (Redis `WAIT`), and how long to
 * wait for them. `replicas: 0` (the default) acknowledges as soon as the master has it.
 */
export interface DurabilityOptions {
  replicas: number;
  timeoutMs: number;
}

/** What to do when the replicas do not confirm in time: reject the caller, or tell `onTimeout` and go on. */
export type DurabilityReport = 'reject' | 'report';

/**
 * Runs the Lua writes of one component, each followed by `WAIT replicas timeoutMs` in the same
 * pipeline: on the same connection, so on a Redis Cluster on the node that owns the keys' slot.
 * Without durability (`replicas: 0`) it is a plain script call.
 *
 * A write whose `WAIT` falls short is either rejected with {@link DurabilityTimeoutError}
 * (publishes: the caller decides) or handed to `onTimeout` and treated as done (worker-side writes
 * that have no caller to tell: the component logs and counts it).
 */
export class DurableWrites<Name extends string> {
  constructor(
    private readonly lua: LuaCommands<Name>,
    private readonly client: RedisClient,
    /** Named in errors, e.g. `queue "jobs"`. */
    private readonly target: string,
    private readonly durability: DurabilityOptions | undefined,
    private readonly onTimeout: (error: DurabilityTimeoutError) => void = () => undefined,
  ) {
    // WAIT blocks the command connection: past the client's socket timeout the connection is taken
    // for dead and closed, and the WAIT with it
    const socketTimeout = socketTimeoutOf(client);
    if (durability && durability.replicas > 0 && socketTimeout !== undefined && durability.timeoutMs >= socketTimeout)
      throw new QueueConfigError(
        'durability.timeoutMs',
        durability.timeoutMs,
        `for ${target} less than the Redis client's socket timeout, ${socketTimeout} ms (socketTimeoutMs, redis.socket_timeout_ms): a WAIT still pending then is cut off with its connection`,
      );
  }

  async run<T>(name: Name, keys: readonly string[], args: ReadonlyArray<string | number>, operation: string, report: DurabilityReport): Promise<T> {
    const durability = this.durability;
    if (!durability || durability.replicas <= 0) return this.lua.run<T>(this.client, name, keys, args);
    for (let attempt = 1; ; attempt++) {
      const pipeline = this.client.pipeline();
      this.lua.queue(pipeline, name, keys, args);
      pipeline.call('WAIT', durability.replicas, durability.timeoutMs);
      const replies = (await pipeline.exec()) ?? [];
      const [writeError, value] = replies[0] ?? [new Error(`${operation} on ${this.target}: no reply from Redis`), null];
      if (writeError) {
        // ioredis retries a pipeline only when all its commands failed alike; here WAIT (no key)
        // succeeds where the script got CLUSTERDOWN or MOVED. The script did not run: retry it
        // as ioredis retries a single command (Cluster options), then fail with the last error.
        if (attempt >= CLUSTER_MAX_REDIRECTIONS || !notApplied(writeError)) throw writeError;
        if (this.client instanceof Cluster) this.client.refreshSlotsCache();
        await sleep(CLUSTER_RETRY_DELAY_MS);
        continue;
      }
      const [waitError, acknowledged] = replies[1] ?? [new Error(`${operation} on ${this.target}: no reply to WAIT`), null];
      // The write ran; the connection closed while WAIT was pending (ioredis aborts the rest of a
      // half-answered pipeline): not confirmed, like a timeout, and the master may be gone.
      if (waitError && !isConnectionError(waitError)) throw waitError;
      if (waitError || Number(acknowledged) < durability.replicas) {
        const confirmed = waitError ? 0 : Number(acknowledged);
        const error = new DurabilityTimeoutError(operation, this.target, durability.replicas, confirmed, durability.timeoutMs, !!waitError);
        if (report === 'reject') throw error;
        this.onTimeout(error);
      }
      return value as T;
    }
  }
}

/**
 * Replies that mean the script was not run and a retry on the same client can succeed (wrong node,
 * slot not served yet, dataset loading). READONLY and MASTERDOWN are not retried: the connection
 * is on a replica, where retrying cannot help.
 */
const NOT_APPLIED = /^(MOVED|ASK|CLUSTERDOWN|TRYAGAIN|LOADING) /;

function notApplied(error: Error): boolean {
  return error.name === 'ReplyError' && NOT_APPLIED.test(error.message);
}
