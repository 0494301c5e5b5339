import type { ClusterOptions, RedisOptions } from 'ioredis';

/** Pause before a command is retried after CLUSTERDOWN, TRYAGAIN or a closed node connection (ms). */
export const CLUSTER_RETRY_DELAY_MS = 100;

/**
 * Redirections and retries a command may take before ioredis gives up on it. ioredis counts every
 * retry after CLUSTERDOWN, TRYAGAIN and a closed node connection as a redirection (default 16,
 * that is 1.6 s: shorter than a failover). This budget covers about an hour of outage at
 * {@link CLUSTER_RETRY_DELAY_MS}, so a command waits a failover out as it waits a restart out on
 * a single Redis (`maxRetriesPerRequest: null`); callers bound the wait (publish timeout).
 */
export const CLUSTER_MAX_REDIRECTIONS = 36_000;

/**
 * Options of a Cluster client that rides through a master failover: commands on the failed slots
 * are retried against the refreshed slot map until a replica has taken over, instead of failing
 * with "Too many Cluster redirections" or "CLUSTERDOWN" after 1.6 s.
 *
 * ioredis never reconnects a node connection by itself (it ignores `retryStrategy` there): a command
 * on a dead master fails with "Connection is closed", the client refreshes its slot map and retries
 * after {@link CLUSTER_RETRY_DELAY_MS}, so it reaches the new master as soon as there is one.
 * The Cluster client itself reconnects (`clusterRetryStrategy`) when every node is gone.
 */
export function clusterClientOptions(redisOptions: RedisOptions): ClusterOptions {
  return {
    redisOptions,
    clusterRetryStrategy: (times) => Math.min(100 * times, 2000),
    maxRedirections: CLUSTER_MAX_REDIRECTIONS,
    retryDelayOnFailover: CLUSTER_RETRY_DELAY_MS,
    retryDelayOnClusterDown: CLUSTER_RETRY_DELAY_MS,
    retryDelayOnTryAgain: CLUSTER_RETRY_DELAY_MS,
    // A moved slot is re-read at once; the map is also re-read every 5 s in case no command hit it.
    slotsRefreshInterval: 5000,
  };
}
