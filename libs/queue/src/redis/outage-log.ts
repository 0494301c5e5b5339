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
 * One error listener for a group of connections to the same Redis (a client made by
 * `createRedisClient` and every connection duplicated from it): ioredis reconnects by itself, so
 * an outage is logged once when the first connection of the group fails
 * (`Redis <masked url> unreachable: <reason>`) and once when every failed connection is ready
 * again (`Redis <masked url> back after N ms`); the errors in between are only counted. A
 * refusal retrying cannot cure (`WRONGPASS`, `NOPERM`, a certificate problem: see
 * `permanentRedisError`) is logged as its typed error's message instead, once per outage, also when
 * the outage began as an ordinary one (a restart with a new password).
 * A connection closed on purpose while down leaves the outage without a "back" line for it.
 */
export class RedisOutageLog {
  private readonly down = new Set<object>();
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
    if (isCluster(client)) {
      const nodes = new Map<string, Redis>();
      const track = (node: Redis) => {
        const key = `${node.options.host}:${node.options.port}`;
        if (nodes.get(key) === node) return;
        nodes.set(key, node);
        node.on('ready', () => this.recovered(node));
        node.on('end', () => this.ended(node));
      };
      client.nodes('all').forEach(track);
      client.on('+node', track);
      client.on('-node', (node: Redis) => this.ended(node));
      // a node known only by its key (not seen through '+node') is taken as back when the cluster is ready
      client.on('ready', () => [...this.keys.values()].forEach((id) => this.recovered(id)));
      // node errors are handled by the cluster's pool and forwarded as 'node error'
      client.on('node error', (error: Error, key: string) => this.failed(nodes.get(key) ?? key, error));
    }
    return client;
  }

  private failed(member: object | string, error: Error): void {
    const id = typeof member === 'string' ? this.keyed(member) : member;
    // a refusal retrying cannot cure (a password rotated, an ACL rule changed) is said as such,
    // once per outage, even when the outage began as an ordinary one (a restart with a new password)
    if (this.down.size === 0) this.permanentLogged = false;
    const permanent = this.permanentLogged ? null : permanentRedisError(error, this.description);
    if (this.down.size === 0) {
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
    if (!this.down.delete(member) || this.down.size > 0) return;
    const suppressed = this.suppressedNow > 0 ? ` (${this.suppressedNow} further connection error${this.suppressedNow > 1 ? 's' : ''} not logged)` : '';
    this.logger.log(`Redis ${this.description} back after ${Date.now() - this.since} ms${suppressed}`);
  }

  private ended(member: object): void {
    this.down.delete(member);
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
