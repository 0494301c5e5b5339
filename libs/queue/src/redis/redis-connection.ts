import Redis, { Cluster, RedisOptions } from 'ioredis';
import { QueueConfigError, QueueError, RedisKeyTypeError, RedisPermanentError, RedisUnavailableError } from '../errors';
import { clusterClientOptions } from './cluster-options';
import { guardClusterReadyCheck } from './cluster-ready-check';
import { releaseShardedResetOnStop } from './cluster-sharded-reset';
import { handleClusterAsking } from './cluster-asking';
import { pauseClusterSubscriberPicks } from './cluster-subscriber-pause';
import { RedisOutageLog, RedisOutageLogger } from './outage-log';
import { guardPermanentErrors, refusalOf } from './permanent-error-guard';
import { RedisTlsOption, tlsConnectionOptions } from './redis-tls';
import { QuickClosingSentinelConnector } from './sentinel-connector';
import { isSentinelSwitchWatched, watchSentinelSwitch } from './sentinel-switch-watch';
import { equipSocketTimer } from './socket-timer';
import { pingClusterSubscribers, pingWhileSubscribed } from './subscriber-check';
import { MAX_TIMER_MS } from '../util/fields';
import { settleWithin } from '../util/retry';

/** A standalone, Sentinel-managed or Cluster client: everything the library talks to. */
export type RedisClient = Redis | Cluster;

/**
 * Where Redis is. Give `url`, or host/port, or `sentinels` + `sentinelName`, or `clusterNodes`.
 * Defaults: 127.0.0.1:6379, db 0, no TLS.
 */
export interface RedisConnectionOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  url?: string;
  host?: string;
  port?: number;
  db?: number;
  username?: string;
  password?: string;
  /**
   * TLS for every connection (the server, the Sentinels and the master they name, every Cluster
   * node): `true`, or CA / client certificate / key / servername ({@link RedisTlsSettings}).
   * A `rediss://` URL turns it on as `true` would.
   */
  tls?: RedisTlsOption;
  /** Sentinel nodes; with `sentinelName` (the master group name). */
  sentinels?: Array<{ host: string; port: number }>;
  sentinelName?: string;
  /** Redis Cluster seed nodes. */
  clusterNodes?: Array<{ host: string; port: number }>;
  /** Give up connecting after this long (default 10 000 ms). */
  connectTimeoutMs?: number;
  /**
   * A connection that owes replies and receives nothing for this long is taken for dead (a Redis
   * host gone without a reset reaching the client, a hung proxy, a NAT that forgot the flow): it
   * is closed and opened again, and its pending commands are sent again (every step of the queue
   * is safe to repeat: docs/guarantees.md). Blocking connections (an idle worker's BLPOP, a stream
   * consumer's XREADGROUP BLOCK) get their block time on top; subscriber connections PING this
   * often (they owe no reply while they listen). Default 5 000 ms, under a queue's default
   * `publishTimeoutMs` (10 000), so a publish caught on a dead connection is sent again on a new
   * one before its caller is told it timed out; 0 turns it off (then only TCP keepalive notices,
   * after about 11 minutes on Linux).
   */
  socketTimeoutMs?: number;
  /** Client name shown in CLIENT LIST (default `meeting-queue`). */
  connectionName?: string;
  /** Where outage lines go (default a `ConsoleQueueLogger` tagged `Redis`); ignored when `outageLog` is given. */
  logger?: RedisOutageLogger;
  /** Share one outage log between several clients (the manager's pool); default one per client. */
  outageLog?: RedisOutageLog;
}

/**
 * Creates a client. It reconnects by itself; commands issued while disconnected wait in its queue.
 * It has an error listener from the start: an outage is logged once when it starts and once when
 * it ends (see {@link RedisOutageLog}), also for the connections {@link duplicateClient} makes from it.
 */
export function createRedisClient(options: RedisConnectionOptions = {}): RedisClient {
  const log = options.outageLog ?? new RedisOutageLog(describeRedis(options), options.logger);
  return equip(newClient(options), log);
}

/** TCP keepalive delay of every client made here (see newClient). */
const KEEPALIVE_MS = 5_000;

/** Default of {@link RedisConnectionOptions.socketTimeoutMs}. */
export const DEFAULT_SOCKET_TIMEOUT_MS = 5_000;

/** ioredis `disconnectTimeout` of every client made here (see newClient). */
const DISCONNECT_TIMEOUT_MS = 200;

function newClient(options: RedisConnectionOptions): RedisClient {
  const socketTimeoutMs = options.socketTimeoutMs ?? DEFAULT_SOCKET_TIMEOUT_MS;
  if (!Number.isInteger(socketTimeoutMs) || socketTimeoutMs < 0 || socketTimeoutMs > MAX_TIMER_MS)
    throw new QueueConfigError('redis.socketTimeoutMs', socketTimeoutMs, `an integer from 0 (off) to ${MAX_TIMER_MS} ms`);
  const base: RedisOptions = {
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: options.connectionName ?? 'meeting-queue',
    // TCP keepalive after 5 s without traffic (ioredis' default leaves the system's, 2 hours on
    // Linux): a Redis host that rebooted answers the probe with a reset, so an idle connection (a
    // worker blocked in BLPOP sends nothing) learns within seconds that it is dead, reconnects and
    // sends its pending commands again. A host gone for good is found later (the probes' retries).
    keepAlive: KEEPALIVE_MS,
    // keepalive probes are answered by any live kernel on the path (a proxy's, a load balancer's)
    // and take minutes to give up on a dead one; a connection that owes replies and hears nothing
    // for this long is destroyed instead, reconnects and sends its commands again (ioredis
    // `socketTimeout`; blocking connections get their block time on top, see duplicateClient)
    ...(socketTimeoutMs > 0 ? { socketTimeout: socketTimeoutMs } : {}),
    retryStrategy: (times) => Math.min(50 * times, 2000),
    // ioredis destroys a socket that has not closed this long after disconnect() ended it; its timer
    // is only cleared by that socket's 'close', so when the socket had already closed (Redis gone)
    // it stays pending the whole time: 2 s by default, which keeps a process (a CLI, a Jest worker)
    // alive that long after every connection was closed
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
    // while Redis loads its data set (a restart with AOF or RDB), ioredis repeats its ready check
    // after the load's ETA (at least 1 s, at most this) on a timer that disconnect() does not clear:
    // bounded like the one above, and the client is ready sooner once the load ends
    maxLoadingRetryTime: DISCONNECT_TIMEOUT_MS,
  };
  const tls = tlsConnectionOptions(options.tls);
  if (options.clusterNodes?.length) {
    return new Redis.Cluster(options.clusterNodes, {
      ...clusterClientOptions({ ...base, username: options.username, password: options.password, tls }),
      // with TLS the certificate is checked against the name given, not an address ioredis resolved
      ...(tls ? { dnsLookup: (address: string, callback: (error: null, address: string) => void) => callback(null, address) } : {}),
    });
  }
  if (options.sentinels?.length) {
    if (!options.sentinelName) throw new QueueConfigError('redis.sentinelName', options.sentinelName, 'the Sentinel master name');
    const client = new Redis({
      ...base,
      sentinels: options.sentinels,
      name: options.sentinelName,
      username: options.username,
      password: options.password,
      // the Sentinels are logged in to as the same ACL user (docs/security.md)
      sentinelUsername: options.username,
      sentinelPassword: options.password,
      db: options.db ?? 0,
      // the master (and replicas) the Sentinels name, and the Sentinels themselves
      tls,
      enableTLSForSentinelMode: !!tls,
      sentinelTLS: tls,
      // after a manual failover the old master stays up as a replica: reconnect to ask the Sentinels
      reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 2 : false),
      // the clients that ask the Sentinels where the master is close as quickly as this one
      Connector: QuickClosingSentinelConnector,
      // ioredis' failoverDetector (one subscriber per Sentinel per connection) stays off: the
      // connections of a process share one (sentinel-switch-watch.ts, below and in equip)
    });
    watchSentinelSwitch(client);
    return client;
  }
  if (options.url) {
    if (!/^rediss?:\/\//.test(options.url)) throw new QueueConfigError('redis.url', maskRedisUrl(options.url), 'a redis:// or rediss:// URL');
    const urlTls = tls ?? (options.url.startsWith('rediss://') ? {} : undefined);
    return new Redis(options.url, { ...base, ...(urlTls ? { tls: urlTls } : {}) });
  }
  return new Redis({
    ...base,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 6379,
    db: options.db ?? 0,
    username: options.username,
    password: options.password,
    tls,
  });
}

/**
 * A second connection with the same settings (for blocking commands and subscriptions), reporting
 * to the outage log of `client` (a client the library did not create gets one of its own; the
 * caller's client itself is left as it is). Every connection the library opens comes from here or
 * from {@link createRedisClient}. A blocking connection's socket timeout is `client`'s plus its
 * longest block (a blocked command owes its reply that long); a subscriber's PINGs now and then
 * (on a Cluster client: each of its subscriber connections).
 */
export function duplicateClient(client: RedisClient, { blocksUpToMs = 0, subscriber = false }: DuplicateOptions = {}): RedisClient {
  const log = RedisOutageLog.forClient(client);
  const socketTimeout = socketTimeoutOf(client);
  const longer = socketTimeout !== undefined && blocksUpToMs > 0 ? Math.min(MAX_TIMER_MS, socketTimeout + blocksUpToMs) : undefined;
  let duplicate: RedisClient;
  if (longer === undefined) duplicate = client.duplicate();
  else if (isClusterClient(client)) duplicate = client.duplicate([], { redisOptions: { ...client.options.redisOptions, socketTimeout: longer } });
  else duplicate = (client as Redis).duplicate({ socketTimeout: longer });
  if (subscriber && socketTimeout !== undefined) {
    if (isClusterClient(duplicate)) pingClusterSubscribers(duplicate, socketTimeout);
    else pingWhileSubscribed(duplicate as Redis, socketTimeout);
  }
  return equip(duplicate, log, client);
}

/** What a connection made by {@link duplicateClient} is for. */
export interface DuplicateOptions {
  /** The longest block of the blocking commands it will send (ms), added to the socket timeout. */
  blocksUpToMs?: number;
  /** It subscribes (pub/sub): it PINGs every socket timeout, so a dead path is found (redis/subscriber-check.ts). */
  subscriber?: boolean;
}

/** The ioredis `socketTimeout` of a client (of each node connection, for a Cluster); undefined: none. */
export function socketTimeoutOf(client: RedisClient): number | undefined {
  const timeout = isClusterClient(client) ? client.options.redisOptions?.socketTimeout : (client as Redis).options.socketTimeout;
  return typeof timeout === 'number' && timeout > 0 ? timeout : undefined;
}

/**
 * A second Cluster client that subscribes with sharded pub/sub: besides the commands of a Cluster
 * client it keeps one subscriber connection per master (ioredis `shardedSubscribers`), SSUBSCRIBEs
 * each channel on the master of its slot, and subscribes again after a failover moves the slot.
 * Same outage log as {@link duplicateClient}; each subscriber connection PINGs every socket timeout.
 */
export function duplicateShardedSubscriber(client: Cluster): Cluster {
  const log = RedisOutageLog.forClient(client);
  const duplicate = client.duplicate([], { shardedSubscribers: true });
  const socketTimeout = socketTimeoutOf(client);
  if (socketTimeout !== undefined) pingClusterSubscribers(duplicate, socketTimeout);
  return equip(duplicate, log, client);
}

/**
 * What every client the library makes gets, once: outage lines in `log`, typed permanent errors
 * (`origin`: the ready client it was duplicated from) and, for a Cluster, a ready check that a
 * user without `cluster|info` skips (one warning in `log`) and a node that does not answer cannot
 * hold (cluster-ready-check.ts), a pause between the picks of its
 * classic subscriber connection (cluster-subscriber-pause.ts), sharded subscribers that connect
 * again after the client reconnected (cluster-sharded-reset.ts) and a handled `ASKING` during a
 * slot migration (cluster-asking.ts); a socket-timeout timer cleared with the socket it was armed
 * for, and lengthened for large commands owed (socket-timer.ts); for a duplicate of a Sentinel-managed client made here, the
 * shared `+switch-master` watch (sentinel-switch-watch.ts).
 */
function equip<C extends RedisClient>(client: C, log: RedisOutageLog, origin?: RedisClient): C {
  if (client instanceof Cluster) {
    guardClusterReadyCheck(client, (message) => log.warnOnce(message));
    pauseClusterSubscriberPicks(client);
    releaseShardedResetOnStop(client);
    handleClusterAsking(client);
  }
  equipSocketTimer(client);
  // a Sentinel-managed connection made from one of ours reconnects on +switch-master too
  if (origin && isSentinelSwitchWatched(origin) && client instanceof Redis) watchSentinelSwitch(client);
  return guardPermanentErrors(log.watch(client), log.description, origin);
}

/**
 * Closes a client made by {@link duplicateShardedSubscriber}: SUNSUBSCRIBEs `channels` first (at
 * most 1 s), because ioredis SSUBSCRIBEs the channels it still holds again on the other masters
 * while it drops its node connections one by one, and those commands then fail ("Connection is
 * closed"; unhandled before ioredis 5.11, and still wasted round trips).
 */
export async function closeShardedSubscriber(subscriber: Cluster, channels: Iterable<string>): Promise<void> {
  const leaving = [...channels].map((channel) => subscriber.sunsubscribe(channel).catch(() => undefined));
  await settleWithin(Promise.all(leaving), 1000);
  subscriber.disconnect();
}

/**
 * `client` as a Redis client, else a {@link QueueConfigError} naming `path`: the check of every
 * `backend.client` / bus `client` option (an ioredis `Redis` or `Cluster`, such as
 * {@link createRedisClient} makes). Duck-typed, so a client of another copy of ioredis passes.
 */
export function checkRedisClient(client: unknown, path: string): RedisClient {
  const methods = client as { duplicate?: unknown; defineCommand?: unknown } | null | undefined;
  if (!methods || typeof methods !== 'object' || typeof methods.duplicate !== 'function' || typeof methods.defineCommand !== 'function')
    throw new QueueConfigError(path, client, 'an ioredis client (createRedisClient)');
  return client as RedisClient;
}

/** True for a Redis Cluster client (also one the library did not create). */
export function isClusterClient(client: RedisClient): client is Cluster {
  return client instanceof Cluster || (client as { isCluster?: boolean }).isCluster === true;
}

/** `redis://user:secret@host` -> `redis://user:***@host`. Use it for every URL that is logged or shown. */
export function maskRedisUrl(url: string): string {
  return url.replace(/^(\w+:\/\/)([^:@/]*):([^@/]*)@/, (_m, scheme: string, user: string) => `${scheme}${user}:***@`);
}

/** Describes a connection for logs, without secrets. */
export function describeRedis(options: RedisConnectionOptions): string {
  if (options.clusterNodes?.length) return `cluster ${options.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  if (options.sentinels?.length) return `sentinel ${options.sentinelName} via ${options.sentinels.map((n) => `${n.host}:${n.port}`).join(',')}`;
  if (options.url) return maskRedisUrl(options.url);
  return `redis${options.tls ? 's' : ''}://${options.host ?? '127.0.0.1'}:${options.port ?? 6379}/${options.db ?? 0}`;
}

/**
 * Resolves when the client is ready. Rejects after `timeoutMs` (0: no bound), when the client ends
 * first, or at once with the typed error (`RedisAuthError`, `RedisPermissionError`,
 * `RedisTlsError`) when the client met one that retrying cannot cure (clients made by
 * {@link createRedisClient} or {@link duplicateClient}): before it was ever ready, or while the
 * server refuses its connection attempts (a password rotated under a running service; see
 * `refusalOf`). `what` names the connection in the errors.
 */
export async function waitUntilReady(client: RedisClient, timeoutMs = 10_000, what = 'Redis'): Promise<void> {
  if (client.status === 'ready') return;
  const known = refusalOf(client);
  if (known) throw known;
  await new Promise<void>((resolve, reject) => {
    const timer =
      timeoutMs > 0 ? setTimeout(() => settle(new Error(`${what} not ready after ${timeoutMs} ms (status ${client.status})`)), timeoutMs) : undefined;
    const onReady = () => settle();
    const onRefused = (error: Error) => settle(error);
    const onEnd = () => settle(new Error(`${what} closed before it was ready`));
    const settle = (error?: Error) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('permanent-error', onRefused);
      client.off('refusal', onRefused);
      client.off('end', onEnd);
      if (error) reject(error);
      else resolve();
    };
    client.on('ready', onReady);
    client.on('permanent-error', onRefused);
    client.on('refusal', onRefused);
    client.on('end', onEnd);
  });
}

const TRANSIENT_REPLY = /^(LOADING|READONLY|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|BUSY )/;

/** Whether a failed command means "Redis unreachable for now" (keep and retry) rather than a bad request (reject). */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error) || error instanceof RedisPermanentError) return false;
  if (error instanceof RedisKeyTypeError) return false; // a command's own error, explained (lua-loader)
  // a bad request found before sending (BatchTooLargeError, ...) or a fault in the calling code
  // (RangeError: Invalid string length, TypeError, ...): keeping and retrying cannot help
  if (error instanceof QueueError && !(error instanceof RedisUnavailableError)) return false;
  if (error instanceof RangeError || error instanceof TypeError || error instanceof ReferenceError || error instanceof SyntaxError) return false;
  if (error.name === 'ReplyError') return TRANSIENT_REPLY.test(error.message);
  return true;
}
