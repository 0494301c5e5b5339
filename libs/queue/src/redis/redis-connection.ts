import Redis, { Cluster, RedisOptions } from 'ioredis';
import { QueueConfigError, RedisKeyTypeError } from '../errors';
import { clusterClientOptions } from './cluster-options';
import { RedisOutageLog, RedisOutageLogger } from './outage-log';

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
  tls?: boolean;
  /** Sentinel nodes; with `sentinelName` (the master group name). */
  sentinels?: Array<{ host: string; port: number }>;
  sentinelName?: string;
  /** Redis Cluster seed nodes. */
  clusterNodes?: Array<{ host: string; port: number }>;
  /** Give up connecting after this long (default 10 000 ms). */
  connectTimeoutMs?: number;
  /** Client name shown in CLIENT LIST (default `meeting-queue`). */
  connectionName?: string;
  /** Where outage lines go (default a Nest Logger named `Redis`); ignored when `outageLog` is given. */
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
  const client = newClient(options);
  return (options.outageLog ?? new RedisOutageLog(describeRedis(options), options.logger)).watch(client);
}

function newClient(options: RedisConnectionOptions): RedisClient {
  const base: RedisOptions = {
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: options.connectionName ?? 'meeting-queue',
    retryStrategy: (times) => Math.min(50 * times, 2000),
  };
  if (options.clusterNodes?.length) {
    return new Redis.Cluster(
      options.clusterNodes,
      clusterClientOptions({ ...base, username: options.username, password: options.password, tls: options.tls ? {} : undefined }),
    );
  }
  if (options.sentinels?.length) {
    if (!options.sentinelName) throw new QueueConfigError('redis.sentinelName', options.sentinelName, 'the Sentinel master name');
    return new Redis({
      ...base,
      sentinels: options.sentinels,
      name: options.sentinelName,
      username: options.username,
      password: options.password,
      sentinelPassword: options.password,
      db: options.db ?? 0,
      tls: options.tls ? {} : undefined,
    });
  }
  if (options.url) {
    if (!/^rediss?:\/\//.test(options.url)) throw new QueueConfigError('redis.url', maskRedisUrl(options.url), 'a redis:// or rediss:// URL');
    return new Redis(options.url, { ...base, ...(options.tls ? { tls: {} } : {}) });
  }
  return new Redis({
    ...base,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 6379,
    db: options.db ?? 0,
    username: options.username,
    password: options.password,
    tls: options.tls ? {} : undefined,
  });
}

/**
 * A second connection with the same settings (for blocking commands and subscriptions), reporting
 * to the outage log of `client` (a client the library did not create gets one of its own; the
 * caller's client itself is left as it is). Every connection the library opens comes from here or
 * from {@link createRedisClient}.
 */
export function duplicateClient(client: RedisClient): RedisClient {
  return RedisOutageLog.forClient(client).watch(client.duplicate());
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
  return `redis://${options.host ?? '127.0.0.1'}:${options.port ?? 6379}/${options.db ?? 0}`;
}

/** Resolves when the client is ready (or rejects after `timeoutMs`). */
export async function waitUntilReady(client: RedisClient, timeoutMs = 10_000): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${timeoutMs} ms (status ${client.status})`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
    };
    client.on('ready', onReady);
  });
}

const TRANSIENT_REPLY = /^(LOADING|READONLY|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|BUSY )/;

/** Whether a failed command means "Redis unreachable for now" (keep and retry) rather than a bad request (reject). */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof RedisKeyTypeError) return false; // a command's own error, explained (lua-loader)
  if (error.name === 'ReplyError') return TRANSIENT_REPLY.test(error.message);
  return true;
}
