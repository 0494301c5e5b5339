import type { Cluster } from 'ioredis';
import { isAclRefusal, redisReplyLine } from './permanent-errors';

type ReadyCheckCallback = (error?: Error | null, state?: string) => void;
type ReadyCheck = (callback: ReadyCheckCallback) => void;

/**
 * Lets a Cluster client become ready when its ACL user may not run `CLUSTER INFO`.
 *
 * ioredis checks a Cluster with `CLUSTER INFO` before it calls it ready (and after every
 * reconnect); a refused check makes it disconnect and try again for ever, so start-up would end in
 * "not reachable" after `connect_timeout_ms`. As ioredis itself does for a standalone client whose
 * user may not run `INFO`, a refused check (`NOPERM`) is skipped instead, and `warn` gets one line
 * naming the permission (`+cluster|info`). Any other failure of the check keeps ioredis' behaviour.
 * A client without the (private) ready check of the ioredis versions this was written for is left
 * as it is.
 */
export function skipRefusedClusterReadyCheck(cluster: Cluster, warn: (message: string) => void): Cluster {
  const target = cluster as unknown as { readyCheck?: ReadyCheck };
  const original = target.readyCheck;
  if (typeof original !== 'function') return cluster;
  target.readyCheck = (callback: ReadyCheckCallback) =>
    original.call(cluster, (error, state) => {
      if (error && isAclRefusal(error)) {
        warn(`CLUSTER INFO refused (${redisReplyLine(error)}); the cluster's ready check is skipped (grant +cluster|info to keep it, docs/security.md)`);
        return callback();
      }
      callback(error, state);
    });
  return cluster;
}
