import { loggerFor } from '../logger';
import type { Cluster, Redis } from 'ioredis';
import { permanentRedisError } from './permanent-errors';

/** Where outage lines go (a QueueLogger fits). */
export interface RedisOutageLogger {
  log(message: string): void;
  warn(message: string): void;
}

type Client = Redis | Cluster;

const logs = new WeakMap<object, RedisOutageLog>();

/**
 * How long after the last failing connection of an outage ended a failure of another connection
 * still continues that outage: ioredis replaces a Cluster's failed node connections (and a
 * subscriber) rather than reconnecting them, within its retry delays (up to 2 s) or the next slot
 * refresh (5 s).
 */
export const OUTAGE_GOES_ON_MS = 10_000;

/**
 * One error listener for a group of connections to the same Redis (a client made by
 * `createRedisClient` and every connection duplicated from it): ioredis reconnects by itself, so
 * an outage is logged once when the first connection of the group fails
 * (`Redis <masked url> unreachable: <reason>`) and once when every failed connection is ready
 * again (`Redis <masked url> back after N ms`); the errors in between are only counted. A
 * refusal retrying cannot cure (`WRONGPASS`, `NOPERM`, a certificate problem: see
 * `permanentRedisError`) is logged as its typed error's message instead, once per outage, also when
 * the outage began as an ordinary one (a restart with a new password).
 * A connection closed on purpose while down leaves the outage without a "back" line for it. A
 * Cluster replaces a failed node connection instead of reconnecting it: when the last failing
 * connection ended, a connection of the group failing within {@link OUTAGE_GOES_ON_MS} continues
 * the same outage (no second line, the duration counted from its start), and one of them ready
 * within that time ends it with the "back" line.
 */
export class RedisOutageLog {
  private readonly down = new Set<object>();
  /** When the last failing connection of the outage ended without being ready again (0: none did). */
  private orphanedAt = 0;
  /** Per watched Cluster: what failed under each node key, until a connection of that key, or the cluster, is ready. */
  private readonly nodeFailures = new WeakMap<Cluster, Map<string, Set<object>>>();
  private since = 0;
  private reason = '';
  private suppressedNow = 0;
  private outageCount = 0;
  /** Whether the current outage's permanent refusal was logged. */
  private permanentLogged = false;
  private suppressedTotal = 0;
  private readonly warned = new Set<string>();

  constructor(
    /** Secret-free description (masked URL) used in every line. */
    readonly description: string,
    private readonly logger: RedisOutageLogger = loggerFor('Redis'),
  ) {}

  /** The log a connection reports to (set by {@link watch} or {@link forClient}). */
  static of(client: object): RedisOutageLog | undefined {
    return logs.get(client);
  }

  /**
   * The log of `client`'s group; for a client the library did not create, a new log described
   * from the client's own options (the client itself is left without listeners: it is the caller's).
   */
  static forClient(client: Client): RedisOutageLog {
    let log = logs.get(client);
    if (!log) {
      log = new RedisOutageLog(describeClient(client));
      logs.set(client, log);
    }
    return log;
  }

  /** Outages logged so far. */
  get outages(): number {
    return this.outageCount;
  }

  /** Connection errors counted but not logged (every error of an outage after its first). */
  get suppressedErrors(): number {
    return this.suppressedTotal;
  }

  /** Whether some connection of the group is failing now. */
  get isDown(): boolean {
    return this.down.size > 0;
  }

  /** Logs `Redis <description>: <message>` as a warning, once per group of connections for the same message. */
  warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.logger.warn(`Redis ${this.description}: ${message}`);
  }

  /** Attaches the group's listeners to `client` (a standalone client, or every node of a Cluster). */
  watch<C extends Client>(client: C): C {
    logs.set(client, this);
    client.on('error', (error: Error) => this.failed(client, error));
    client.on('ready', () => this.recovered(client));
    client.on('end', () => this.ended(client));
    if (isCluster(client)) this.watchNodes(client);
    return client;
  }

  /**
   * A Cluster's node connections. Their errors come from the cluster's pool as 'node error' with
   * the node's key only, and ioredis replaces a failed node connection rather than reconnecting it,
   * so an error may be put on the newest connection of that key while an older one failed. What
   * failed under a key is back when a connection of that key is ready, or the cluster is.
   */
  private watchNodes(client: Cluster): void {
    const nodes = new Map<string, Redis>();
    const failing = new Map<string, Set<object>>();
    this.nodeFailures.set(client, failing);
    const backFor = (key: string) => {
      const ids = failing.get(key);
      failing.delete(key);
      ids?.forEach((id) => this.recovered(id));
    };
    const keyOf = (node: Redis) => `${node.options.host}:${node.options.port}`;
    // an ended connection is no longer waited for (and not kept: a long outage replaces many)
    const ended = (node: Redis) => {
      failing.get(keyOf(node))?.delete(node);
      this.ended(node);
    };
    const track = (node: Redis) => {
      const key = keyOf(node);
      if (nodes.get(key) === node) return;
      nodes.set(key, node);
      node.on('ready', () => {
        this.recovered(node);
        backFor(key);
      });
      node.on('end', () => ended(node));
    };
    client.nodes('all').forEach(track);
    client.on('+node', track);
    client.on('-node', ended);
    client.on('ready', () => [...failing.keys()].forEach(backFor));
    client.on('node error', (error: Error, key: string) => {
      const id = nodes.get(key) ?? this.keyed(key);
      const ids = failing.get(key) ?? new Set<object>();
      failing.set(key, ids.add(id));
      this.failed(id, error);
    });
  }

  private failed(id: object, error: Error): void {
    const starts = this.down.size === 0 && !this.orphaned();
    this.orphanedAt = 0;
    // a refusal retrying cannot cure (a password rotated, an ACL rule changed) is said as such,
    // once per outage, even when the outage began as an ordinary one (a restart with a new password)
    if (starts) this.permanentLogged = false;
    const permanent = this.permanentLogged ? null : permanentRedisError(error, this.description);
    if (starts) {
      this.since = Date.now();
      this.reason = error.message || error.name;
      this.suppressedNow = 0;
      this.outageCount++;
      this.permanentLogged = !!permanent;
      this.logger.warn(permanent ? permanent.message : `Redis ${this.description} unreachable: ${this.reason}`);
    } else if (permanent) {
      this.permanentLogged = true;
      this.logger.warn(permanent.message);
    } else {
      this.suppressedNow++;
      this.suppressedTotal++;
    }
    this.down.add(id);
  }

  private recovered(member: object): void {
    const ends = this.down.delete(member) ? this.down.size === 0 : this.down.size === 0 && this.orphaned();
    if (!ends) return;
    this.orphanedAt = 0;
    const suppressed = this.suppressedNow > 0 ? ` (${this.suppressedNow} further connection error${this.suppressedNow > 1 ? 's' : ''} not logged)` : '';
    this.logger.log(`Redis ${this.description} back after ${Date.now() - this.since} ms${suppressed}`);
  }

  private ended(member: object): void {
    if (this.down.delete(member) && this.down.size === 0) this.orphanedAt = Date.now();
  }

  /** Whether the outage's failing connections all ended (none ready again) within OUTAGE_GOES_ON_MS. */
  private orphaned(): boolean {
    return this.orphanedAt > 0 && Date.now() - this.orphanedAt <= OUTAGE_GOES_ON_MS;
  }

  private readonly keys = new Map<string, object>();
  private keyed(key: string): object {
    let id = this.keys.get(key);
    if (!id) this.keys.set(key, (id = { key }));
    return id;
  }
}

function isCluster(client: Client): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}

/** Secret-free description of a client from its options (for clients the library did not create). */
function describeClient(client: Client): string {
  if (isCluster(client)) {
    const startup = (client as unknown as { startupNodes: Array<string | number | { host?: string; port?: number }> }).startupNodes;
    const nodes = startup.map((n) => (typeof n === 'object' ? `${n.host ?? '127.0.0.1'}:${n.port ?? 6379}` : String(n)));
    return `cluster ${nodes.join(',')}`;
  }
  const o = client.options;
  if (o.sentinels?.length) return `sentinel ${o.name} via ${o.sentinels.map((n) => `${n.host}:${n.port}`).join(',')}`;
  return `redis${o.tls ? 's' : ''}://${o.host ?? '127.0.0.1'}:${o.port ?? 6379}/${o.db ?? 0}`;
}
