import Redis, { Cluster, RedisOptions } from 'ioredis';
import { z } from 'zod';
import { QueueConfigError, QueueError, RedisKeyTypeError, RedisPermanentError, RedisUnavailableError } from '../errors';
import { clusterClientOptions } from './cluster-options';
import { guardClusterReadyCheck } from './cluster-ready-check';
import { releaseShardedResetOnStop } from './cluster-sharded-reset';
import { handleClusterAsking } from './cluster-asking';
import { pauseClusterSubscriberPicks } from './cluster-subscriber-pause';
import { RedisOutageLog, RedisOutageLogger } from './outage-log';
import { guardPermanentErrors, refusalOf } from './permanent-error-guard';
import { RedisTlsOption, RedisTlsSettings, tlsConnectionOptions } from './redis-tls';
import { QuickClosingSentinelConnector } from './sentinel-connector';
import { isSentinelSwitchWatched, watchSentinelSwitch } from './sentinel-switch-watch';
import { equipSocketTimer } from './socket-timer';
import { pingClusterSubscribers, pingWhileSubscribed } from './subscriber-check';
import { boolField, checkKnownKeys, checkOption, intField, knownKeys, MAX_TIMER_MS, stringField, timerMsField } from '../util/fields';
import { settleWithin } from '../util/retry';
import { redisUrlProblem, REDIS_URL_SCHEME_EXPECTED } from './redis-url';

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
 * A `db` the server does not have stops the client with a `RedisPermanentError` (code `REDIS_DB`)
 * when it connects, so nothing is written to database 0 instead.
 * @throws QueueConfigError at `redis.<key>` for an unknown key or a bad value (see {@link checkConnectionOptions}).
 */
export function createRedisClient(options: RedisConnectionOptions = {}): RedisClient {
  checkConnectionOptions(options);
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

const CONNECTION_KEYS = knownKeys<RedisConnectionOptions>({
  url: true,
  host: true,
  port: true,
  db: true,
  username: true,
  password: true,
  tls: true,
  sentinels: true,
  sentinelName: true,
  clusterNodes: true,
  connectTimeoutMs: true,
  socketTimeoutMs: true,
  connectionName: true,
  logger: true,
  outageLog: true,
});
const TLS_KEYS = knownKeys<RedisTlsSettings>({ ca: true, cert: true, key: true, servername: true, rejectUnauthorized: true });
const HOST = () => stringField(/^\S+$/, 'a host name');
const PORT = () => intField(1, 65535);
const NODE = z.strictObject({ host: HOST(), port: PORT() }, { error: () => 'a node { host, port } (host a host name, port an integer in [1, 65535])' });
const NODES = z.array(NODE, { error: () => 'an array of nodes { host, port }' }).optional();
/** Redis refuses a client name with spaces, newlines or other characters outside `!`..`~`. */
const CONNECTION_NAME = stringField(/^[!-~]+$/, 'a client name of printable ASCII characters without spaces').optional();
/** The host and port the configuration's defaults fill in beside a `url` (manager `redisConnectionOptions`): tolerated there. */
const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_PORT = 6379;

/**
 * Checks the options of {@link createRedisClient} before anything connects: unknown keys are
 * refused (a misspelt `prot` would connect to 127.0.0.1:6379), `url` a `redis://`/`rediss://` URL
 * the client can parse (see `redis-url.ts`: no raw `TypeError` at connect, holding the password)
 * and not beside another `host`/`port`/`db` (the configuration's defaults 127.0.0.1, 6379 and 0
 * are left alone), `port` in [1, 65535], `db` an integer >= 0 (not beside `clusterNodes`: a Cluster has
 * database 0 only), node lists arrays of `{ host, port }`, `sentinelName` with `sentinels`, the
 * timeouts integers of ms a timer can wait, `tls` a boolean or {@link RedisTlsSettings},
 * `username`/`password` strings (a password is never shown), `connectionName` without spaces.
 * @throws QueueConfigError at `redis.<key>` (`redis` for options that are not an object).
 */
export function checkConnectionOptions(options: unknown): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new QueueConfigError('redis', options, 'connection options (url, host, port, sentinels, clusterNodes, ...)');
  }
  checkKnownKeys(options, CONNECTION_KEYS, 'redis');
  const o = options as Record<string, unknown>;
  checkAddress(o);
  checkCredentials(o);
  checkTls(o.tls);
  checkOption(timerMsField(1).optional(), o.connectTimeoutMs, 'redis.connectTimeoutMs');
  if (o.socketTimeoutMs !== undefined && !timerMsField(0).safeParse(o.socketTimeoutMs).success)
    throw new QueueConfigError('redis.socketTimeoutMs', o.socketTimeoutMs, `an integer from 0 (off) to ${MAX_TIMER_MS} ms`);
  checkOption(CONNECTION_NAME, o.connectionName, 'redis.connectionName');
  checkLogging(o);
}

/** Where Redis is: `url`, host/port/db, `sentinels` + `sentinelName`, `clusterNodes`; and what conflicts. */
function checkAddress(o: Record<string, unknown>): void {
  if (o.url !== undefined) {
    // a URL the client cannot parse would fail at connect with a raw TypeError holding the password
    const expected = typeof o.url === 'string' ? redisUrlProblem(o.url) : REDIS_URL_SCHEME_EXPECTED;
    if (expected !== undefined) throw new QueueConfigError('redis.url', typeof o.url === 'string' ? maskRedisUrl(o.url) : o.url, expected);
  }
  checkOption(HOST().optional(), o.host, 'redis.host');
  checkOption(PORT().optional(), o.port, 'redis.port');
  checkOption(intField(0).optional(), o.db, 'redis.db');
  checkOption(NODES, o.sentinels, 'redis.sentinels');
  checkOption(NODES, o.clusterNodes, 'redis.clusterNodes');
  checkOption(stringField(/^\S+$/, 'the Sentinel master name').optional(), o.sentinelName, 'redis.sentinelName');
  if ((o.sentinels as unknown[] | undefined)?.length && o.sentinelName === undefined)
    throw new QueueConfigError('redis.sentinelName', o.sentinelName, 'the Sentinel master name (with sentinels)');
  if (o.url !== undefined && o.host !== undefined && o.host !== DEFAULT_HOST)
    throw new QueueConfigError('redis.host', o.host, 'no host beside url (the URL names the server)');
  if (o.url !== undefined && o.port !== undefined && o.port !== DEFAULT_PORT)
    throw new QueueConfigError('redis.port', o.port, 'no port beside url (the URL names the server)');
  if (o.url !== undefined && o.db !== undefined && o.db !== 0)
    throw new QueueConfigError('redis.db', o.db, 'no db beside url (give it in the URL: redis://host:port/db)');
  if ((o.clusterNodes as unknown[] | undefined)?.length && o.db !== undefined && o.db !== 0)
    throw new QueueConfigError('redis.db', o.db, '0 with clusterNodes (a Redis Cluster has database 0 only)');
}

/** `username` and `password` strings; a password given as something else is not shown. */
function checkCredentials(o: Record<string, unknown>): void {
  checkOption(stringField().optional(), o.username, 'redis.username');
  if (o.password !== undefined && typeof o.password !== 'string')
    throw new QueueConfigError('redis.password', `(a ${typeof o.password}, not shown)`, 'a string');
}

/** `tls`: absent, a boolean, or {@link RedisTlsSettings} of known keys (files and PEM texts are read later, by tlsConnectionOptions). */
function checkTls(tls: unknown): void {
  if (tls === undefined || typeof tls === 'boolean') return;
  if (tls === null || typeof tls !== 'object' || Array.isArray(tls))
    throw new QueueConfigError('redis.tls', tls, 'true, false, or TLS settings { ca, cert, key, servername, rejectUnauthorized }');
  checkKnownKeys(tls, TLS_KEYS, 'redis.tls');
  const t = tls as Record<string, unknown>;
  for (const key of ['ca', 'cert', 'servername'] as const) checkOption(stringField().optional(), t[key], `redis.tls.${key}`);
  if (t.key !== undefined && typeof t.key !== 'string')
    throw new QueueConfigError('redis.tls.key', `(a ${typeof t.key}, not shown)`, 'a PEM text or the path of a PEM file');
  checkOption(boolField().optional(), t.rejectUnauthorized, 'redis.tls.rejectUnauthorized');
}

/** `logger` an object with `log` and `warn` functions; `outageLog` a {@link RedisOutageLog}. */
function checkLogging(o: Record<string, unknown>): void {
  const logger = o.logger as Partial<RedisOutageLogger> | null | undefined;
  if (logger !== undefined && (typeof logger?.log !== 'function' || typeof logger.warn !== 'function'))
    throw new QueueConfigError('redis.logger', logger, 'a logger with log and warn methods');
  if (o.outageLog !== undefined && !(o.outageLog instanceof RedisOutageLog)) throw new QueueConfigError('redis.outageLog', o.outageLog, 'a RedisOutageLog');
}

/**
 * ioredis sends `SELECT db` on each connection and, when the server refuses it (a db the server
 * does not have: `databases` is 16 by default; a Cluster node), only emits the error and carries
 * on in database 0. Such a refusal stops the client instead: a `RedisPermanentError` (code
 * `REDIS_DB`) goes through the permanent-error guard (`waitUntilReady` rejects with it, waiting
 * commands too) and the client is disconnected, so nothing lands in another database. The client's
 * own `select` is wrapped (no extra error listener): only a refused SELECT of its `db` counts.
 */
function stopOnMissingDatabase(client: Redis, description: string): void {
  const select = client.select.bind(client) as (db: number | string) => Promise<unknown>;
  const wrapped = (db: number | string) =>
    select(db).catch((error: unknown) => {
      if (Number(db) === client.options.db && isErrReply(error)) {
        const reply = error.message.split('\n')[0];
        const message = `Redis ${description} has no database ${db} (${reply}); check redis.db (or the /db of redis.url) against the server's \`databases\` setting (16 by default)`;
        client.emit('error', new RedisPermanentError(message, 'REDIS_DB', 'SELECT'));
        client.disconnect();
      }
      throw error;
    });
  (client as unknown as { select: typeof wrapped }).select = wrapped;
}

/** A Redis error reply of the generic `ERR` kind (not NOAUTH, NOPERM, LOADING...). */
function isErrReply(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError' && error.message.startsWith('ERR ');
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
  if (!(client instanceof Cluster)) stopOnMissingDatabase(client, log.description);
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

/**
 * `redis://user:secret@host` -> `redis://user:***@host`. Use it for every URL that is logged or
 * shown. Everything up to the last `@` after the user name is masked (a raw `@`, `:` or `/` inside
 * a password leaks nothing: `redis://u:p@ss:w/rd@h` -> `redis://u:***@h`), a user part without `:`
 * as a whole (`redis://secret@h` -> `redis://***@h`), and a `password=` query option.
 */
export function maskRedisUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0];
  let masked = url;
  const at = url.lastIndexOf('@');
  if (scheme && at > scheme.length) {
    const userinfo = url.slice(scheme.length, at);
    const colon = userinfo.indexOf(':');
    masked = `${scheme}${colon < 0 ? '' : `${userinfo.slice(0, colon)}:`}***${url.slice(at)}`;
  }
  return masked.replace(/([?&]password=)[^&#]*/gi, '$1***');
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
