import type { Cluster, Redis } from 'ioredis';
import { FailureBackoff } from '../util/retry';

/** A subscriber connection that ends sooner than this after it was picked counts as a failed pick. */
export const QUICK_END_MS = 1000;
/** First pause before the next pick after a failed one; it doubles per failed pick up to {@link PICK_PAUSE_MAX_MS}. */
export const PICK_PAUSE_BASE_MS = 50;
export const PICK_PAUSE_MAX_MS = 2000;

/** The private parts of ioredis' ClusterSubscriber (5.x) this relies on. */
interface ClusterSubscriberInternals {
  onSubscriberEnd?: () => void;
  selectSubscriber?: () => void;
  /** The connection of the latest pick (null when no node was known). */
  subscriber?: Redis | null;
  /** The last connection whose subscriptions all worked: each pick restores its channels, and disconnects it. */
  lastActiveSubscriber?: Redis;
}

interface Picks {
  /** The error the latest picks met, until one is ready. */
  error?: Error;
  /** Called once the next pick is made (or the picks stopped): commands held while the current pick has ended. */
  waiters: Array<() => void>;
}

/** Per Cluster client this module equipped. */
const pickState = new WeakMap<Cluster, Picks>();

/** The connection of the current pick of `cluster`'s classic subscriber (ioredis' private ClusterSubscriber). */
export function currentPick(cluster: Cluster): Redis | null | undefined {
  return (cluster as unknown as { subscriber?: ClusterSubscriberInternals }).subscriber?.subscriber;
}

/**
 * The error the classic subscriber connection of `cluster` met since it was last ready, while it
 * is not ready (undefined otherwise, and for a client this module did not equip). The permanent
 * error guard rejects SUBSCRIBE and the like with it at once while every pick is refused, as it
 * does for the commands of a refused client, instead of letting them wait through the pauses.
 */
export function subscriberPickError(cluster: Cluster): Error | undefined {
  return currentPick(cluster)?.status === 'ready' ? undefined : pickState.get(cluster)?.error;
}

/**
 * While the current classic subscriber connection of `cluster` has ended and the next is still to
 * be picked (the pause after a failed pick, or the moment before ioredis picks again): a promise
 * that resolves once the next pick is made, or the picks stopped (the client disconnected).
 * Undefined otherwise, and for a client this module did not equip.
 *
 * A SUBSCRIBE sent to the ended connection fails ("Connection is closed"), and ioredis then
 * retries it every 100 ms on whatever connection is current, without ever reporting why the picks
 * fail: seen taking 19-47 s to reject while every node refused the password. Held until the next
 * pick, it waits in that pick's queue and shares its fate: sent once it is ready, rejected with
 * its refusal.
 */
export function nextSubscriberPick(cluster: Cluster): Promise<void> | undefined {
  const picks = pickState.get(cluster);
  if (!picks || currentPick(cluster)?.status !== 'end') return undefined;
  return new Promise((resolve) => picks.waiters.push(resolve));
}

/**
 * Puts a growing pause between the picks of a Cluster client's classic subscriber connection.
 *
 * ioredis serves SUBSCRIBE and PSUBSCRIBE on a Cluster client with one subscriber connection to a
 * node of its choice (its private `ClusterSubscriber`). When that connection ends, it picks a node
 * and connects again at once, without any pause. While every node refuses the connection (a
 * password rotated under a running service, an ACL change) or is down, that loop opened about
 * 1,600 connections a second and kept a core busy (ioredis 5.11.1), and every pick also left a
 * 2 s timer behind.
 *
 * With this, a subscriber that ends within {@link QUICK_END_MS} of its pick counts as a failed pick,
 * and the next pick waits 100 ms, then 200 ms, doubling up to {@link PICK_PAUSE_MAX_MS}. A
 * subscriber that lived longer is replaced at once, as ioredis does, so a failover misses as few
 * publishes as before. The library's subscribers (the classic pub/sub bus, the scheduler's nudges,
 * the dashboard's event streams) subscribe again by themselves once a pick works. Sharded
 * subscribers (SSUBSCRIBE) have a backoff of their own in ioredis and are not touched. A client
 * without these (private) parts is left as it is.
 */
export function pauseClusterSubscriberPicks(cluster: Cluster): Cluster {
  const subscriber = (cluster as unknown as { subscriber?: ClusterSubscriberInternals }).subscriber;
  const reselect = subscriber?.onSubscriberEnd;
  const select = subscriber?.selectSubscriber;
  if (!subscriber || typeof reselect !== 'function' || typeof select !== 'function') return cluster;
  const backoff = new FailureBackoff(PICK_PAUSE_BASE_MS, PICK_PAUSE_MAX_MS);
  const picks: Picks = { waiters: [] };
  pickState.set(cluster, picks);
  let pickedAt = 0;
  let pending: NodeJS.Timeout | undefined;
  const wakeWaiters = () => picks.waiters.splice(0).forEach((wake) => wake());
  // ioredis' own handler does nothing once the client is disconnected (not started): then no pick
  // comes, and what waits for one is woken to meet the ended client
  const pickAgain = () => {
    reselect();
    wakeWaiters();
  };
  // ioredis calls both through `this`, so these replace them for every later pick
  subscriber.selectSubscriber = () => {
    pickedAt = Date.now();
    // Each pick disconnects the last working subscriber again. Once that connection has ended,
    // ioredis' disconnect still hangs a 'close' listener and a 2 s timer on its closed socket: 11
    // picks into an outage Node warned of a listener leak. An ended connection has nothing to close.
    const last = subscriber.lastActiveSubscriber;
    if (last?.status === 'end') last.disconnect = () => undefined;
    select.call(subscriber);
    const picked = subscriber.subscriber;
    picked?.on('error', (error: Error) => (picks.error = error));
    picked?.on('ready', () => (picks.error = undefined));
    wakeWaiters();
  };
  subscriber.onSubscriberEnd = () => {
    if (pending) return;
    if (Date.now() - pickedAt >= QUICK_END_MS) {
      backoff.succeeded();
      return pickAgain();
    }
    pending = setTimeout(() => {
      pending = undefined;
      pickAgain();
    }, backoff.failed());
    pending.unref();
  };
  return cluster;
}
