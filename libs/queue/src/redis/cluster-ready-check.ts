import type { Cluster } from 'ioredis';
import { isAclRefusal, redisReplyLine } from './permanent-errors';

type ReadyCheckCallback = (error?: Error | null, state?: string) => void;
type ReadyCheck = (callback: ReadyCheckCallback) => void;

/** How long a Cluster client's ready check (`CLUSTER INFO` on one node) may go unanswered before the client connects anew. */
export const READY_CHECK_TIMEOUT_MS = 2000;

/**
 * Two guards on the ready check of a Cluster client.
 *
 * ioredis checks a Cluster with `CLUSTER INFO`, sent to one node it picks at random, before it
 * calls it ready (and after every reconnect).
 *
 * - **A node that does not answer.** A node that keeps its connections open but answers nothing (a
 *   stopped process, a paused VM, a master frozen while its replica took over) held the check, and
 *   so the client, in status `connect` for as long as it stayed so: every command waited in the
 *   offline queue (seen: a client made right after such a failover, its publishes timing out for 30
 *   s, 1 run in 6). A check unanswered after {@link READY_CHECK_TIMEOUT_MS} fails instead, so
 *   ioredis disconnects and connects anew, and picks a node again; a late answer is ignored.
 * - **An ACL user without `cluster|info`.** A refused check made ioredis disconnect and try again
 *   for ever, so start-up would end in "not reachable" after `connect_timeout_ms`. As ioredis itself
 *   does for a standalone client whose user may not run `INFO`, a refused check (`NOPERM`) is
 *   skipped instead, and `warn` gets one line naming the permission (`+cluster|info`).
 *
 * Any other answer keeps ioredis' behaviour. A client without the (private) ready check of the
 * ioredis versions this was written for is left as it is.
 */
export function guardClusterReadyCheck(cluster: Cluster, warn: (message: string) => void, timeoutMs = READY_CHECK_TIMEOUT_MS): Cluster {
  const target = cluster as unknown as { readyCheck?: ReadyCheck };
  const original = target.readyCheck;
  if (typeof original !== 'function') return cluster;
  target.readyCheck = (callback: ReadyCheckCallback) => {
    let settled = false;
    const settle: ReadyCheckCallback = (error, state) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      callback(error, state);
    };
    const timer = setTimeout(() => settle(new Error(`CLUSTER INFO (the ready check) got no answer within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
    original.call(cluster, (error, state) => {
      if (error && isAclRefusal(error)) {
        warn(`CLUSTER INFO refused (${redisReplyLine(error)}); the cluster's ready check is skipped (grant +cluster|info to keep it, docs/security.md)`);
        return settle();
      }
      settle(error, state);
    });
  };
  return cluster;
}
