import { RedisPermanentError } from '../errors';
import type { QueueLogger } from '../logger';
import type { QueueAppConfig } from '../config/config.types';
import { RedisOutageLog } from '../redis/outage-log';
import { createRedisClient, describeRedis, RedisClient, RedisConnectionOptions, waitUntilReady } from '../redis/redis-connection';
import type { RedisTlsOption } from '../redis/redis-tls';
import { RedisPingProbe, RedisProbeResult } from '../metrics/redis-probe';
import { settleWithin, within } from '../util/retry';
import { checkRedis, RedisCheckReport, RedisStartupError } from './redis-checks';

/** Connection options for `createRedisClient` from the `redis` section (credentials merged into `url` when it has none). */
export function redisConnectionOptions(config: QueueAppConfig, role = 'commands'): RedisConnectionOptions {
  const r = config.redis;
  let url = r.url;
  if (url && (r.password || r.username)) {
    const parsed = new URL(url);
    if (!parsed.password && r.password) parsed.password = encodeURIComponent(r.password);
    if (!parsed.username && r.username) parsed.username = encodeURIComponent(r.username);
    url = parsed.toString();
  }
  return {
    url,
    host: r.host,
    port: r.port,
    db: r.db,
    username: r.username,
    password: r.password,
    tls: tlsOption(r.tls),
    sentinels: r.sentinels,
    sentinelName: r.sentinel_name,
    clusterNodes: r.cluster_nodes,
    connectTimeoutMs: r.connect_timeout_ms,
    socketTimeoutMs: r.socket_timeout_ms,
    connectionName: `${config.service_name}:${role}`,
  };
}

/** `redis.tls` in the connection's terms (camelCase keys). */
function tlsOption(tls: QueueAppConfig['redis']['tls']): RedisTlsOption {
  if (typeof tls === 'boolean') return tls;
  return { ca: tls.ca, cert: tls.cert, key: tls.key, servername: tls.servername, rejectUnauthorized: tls.reject_unauthorized };
}

/**
 * The command connections a QueueManager owns (`redis.pool.size`, default 1), handed out round
 * robin to queues and buses. Blocking and subscriber connections are duplicated from them by the
 * components that need them (see docs/configuration.md, "Connections").
 */
export class RedisConnections {
  private next = 0;
  private readonly pingProbe = new RedisPingProbe();

  private constructor(
    readonly clients: RedisClient[],
    /** Secret-free description for logs. */
    readonly description: string,
    /** The outage log of every connection of this manager (the pool and the duplicates made from it). */
    readonly outageLog: RedisOutageLog,
  ) {}

  /**
   * Opens `pool.size` connections and waits until they are ready (`connect_timeout_ms`).
   * @throws RedisAuthError, RedisTlsError, RedisPermissionError at once when Redis refuses for good
   * @throws RedisStartupError when Redis does not answer within `connect_timeout_ms`
   */
  static async open(config: QueueAppConfig, logger: QueueLogger): Promise<RedisConnections> {
    const options = redisConnectionOptions(config);
    const description = describeRedis(options);
    // one outage log for the pool and every connection duplicated from it: an outage is logged
    // once when it starts and once when it ends, whatever the number of connections
    const outageLog = new RedisOutageLog(description, logger);
    const clients = Array.from({ length: config.redis.pool.size }, () => createRedisClient({ ...options, outageLog }));
    let lastError = '';
    const remember = (error: Error) => (lastError = error.message);
    for (const client of clients) client.on('error', remember);
    try {
      await Promise.all(clients.map((c) => waitUntilReady(c, config.redis.connect_timeout_ms)));
    } catch (error) {
      clients.forEach((c) => c.disconnect());
      // wrong credentials, a certificate problem: known at once, said as such
      if (error instanceof RedisPermanentError) throw error;
      throw new RedisStartupError(
        `Redis ${description} not reachable within ${config.redis.connect_timeout_ms} ms (redis.connect_timeout_ms)${lastError ? `: ${lastError}` : ''}`,
      );
    }
    for (const client of clients) client.off('error', remember);
    logger.log(`connected to Redis ${description} (${clients.length} command connection${clients.length > 1 ? 's' : ''})`);
    return new RedisConnections(clients, description, outageLog);
  }

  /** The next command connection (round robin). */
  take(): RedisClient {
    const client = this.clients[this.next % this.clients.length];
    this.next++;
    return client;
  }

  /** State of every owned connection (`ready`, `connecting`, `reconnecting`, `end`, ...). */
  states(): Array<{ connection: string; status: string }> {
    return this.clients.map((c, i) => ({ connection: `commands-${i}`, status: c.status }));
  }

  /** PING round trip of the first connection in ms; rejects after `timeoutMs`. */
  async ping(timeoutMs: number): Promise<number> {
    const started = process.hrtime.bigint();
    await within(this.clients[0].ping(), timeoutMs, 'PING');
    return Number(process.hrtime.bigint() - started) / 1e6;
  }

  /**
   * Scrape-time liveness of every owned connection (the `mq_redis_*` gauges): a PING on each, side
   * by side, each awaited at most `timeoutMs` (one PING at a time per connection, see
   * {@link RedisPingProbe}); never rejects.
   */
  probe(timeoutMs: number): Promise<Array<{ connection: string } & RedisProbeResult>> {
    return Promise.all(this.clients.map(async (c, i) => ({ connection: `commands-${i}`, ...(await this.pingProbe.probe(c, timeoutMs)) })));
  }

  /**
   * QUIT every connection (pending replies arrive first), disconnecting those that do not answer
   * within 1 s; each step waits at most 1 s and leaves no timer running once close() resolved.
   */
  async close(): Promise<void> {
    await Promise.all(
      this.clients.map(async (c) => {
        if (c.status === 'end') return;
        // a rejection means the connection was already closed
        await settleWithin(c.quit(), 1000);
        if ((c.status as string) === 'end') return;
        const ended = new Promise((resolve) => c.once('end', resolve));
        c.disconnect();
        await settleWithin(ended, 1000);
      }),
    );
  }
}

/**
 * The Redis a configuration needs, connected and checked at start (`checkRedis`), or null when
 * nothing in it uses Redis (memory queue, local bus). A failed check closes the connections again.
 */
export async function openCheckedRedis(config: QueueAppConfig, logger: QueueLogger): Promise<{ redis: RedisConnections; report: RedisCheckReport } | null> {
  const needsRedis = (config.message_queue.enabled && config.message_queue.type === 'redis') || (config.event_bus.enabled && config.event_bus.type !== 'local');
  if (!needsRedis) return null;
  const redis = await RedisConnections.open(config, logger);
  try {
    return { redis, report: await checkRedis(redis.clients[0], logger, config.redis.key_prefix) };
  } catch (error) {
    await redis.close();
    throw error;
  }
}
