import Redis from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { onClientClosed } from './client-closed';
import { pingWhileSubscribed } from './subscriber-check';

/** The channel on which Sentinels announce a new master: `<name> <old-ip> <old-port> <new-ip> <new-port>`. */
const SWITCH_CHANNEL = '+switch-master';

/** The connections to one Sentinel-managed master that share a watch, and its subscribers (one per Sentinel). */
interface Watch {
  readonly name: string;
  readonly clients: Set<Redis>;
  readonly subscribers: Redis[];
  /** The last announcement acted on (each Sentinel sends it; the connections reconnect once). */
  lastSwitch: string;
}

/** Per master name, Sentinels and Sentinel credentials. */
const watches = new Map<string, Watch>();
/** Every connection watched. */
const watched = new WeakSet<Redis>();

/**
 * Reconnects `client`, a connection to a Sentinel-managed master, when the Sentinels announce a new
 * master for its name (`+switch-master`): a master that stops answering without closing its
 * connections (a paused VM, a partition) gives the connection no reason of its own to reconnect
 * before its socket timeout, and one idle between commands none at all
 * (test/failover/sentinel-frozen-master.spec.ts). Reconnecting, it asks the Sentinels where the
 * master is.
 *
 * ioredis' own `failoverDetector` does this with one subscriber connection per Sentinel for every
 * connection: a process with 10 connections and 3 Sentinels held 30 of them, and each reconnect
 * opened 3 more. Here every connection of a process to the same master, through the same Sentinels
 * and credentials, shares one subscriber per Sentinel, opened with the first and closed after the
 * last one ends. Announcements for other master names the Sentinels watch are ignored (ioredis'
 * detector reconnected on those too).
 */
export function watchSentinelSwitch(client: Redis): void {
  const options = client.options;
  if (!options.sentinels?.length || !options.name || watched.has(client)) return;
  const key = JSON.stringify([options.name, options.sentinels, options.sentinelUsername, options.sentinelPassword, options.enableTLSForSentinelMode]);
  let watch = watches.get(key);
  if (!watch) {
    watch = openWatch(options);
    watches.set(key, watch);
  }
  const own = watch;
  own.clients.add(client);
  watched.add(client);
  // also for a client disconnected while it waits to reconnect (no Sentinel answered): its
  // subscribers would otherwise keep retrying, and keep the process alive
  onClientClosed(client, () => {
    if (!own.clients.delete(client) || own.clients.size > 0 || watches.get(key) !== own) return;
    watches.delete(key);
    for (const subscriber of own.subscribers) subscriber.disconnect();
  });
}

/** Whether `client` is watched by {@link watchSentinelSwitch} (its duplicates should be too). */
export function isSentinelSwitchWatched(client: unknown): client is Redis {
  return client instanceof Redis && watched.has(client);
}

function openWatch(options: RedisOptions): Watch {
  const watch: Watch = { name: options.name!, clients: new Set(), subscribers: [], lastSwitch: '' };
  for (const sentinel of options.sentinels!) {
    const subscriber = new Redis({
      host: sentinel.host,
      port: sentinel.port,
      username: options.sentinelUsername,
      password: options.sentinelPassword,
      tls: options.enableTLSForSentinelMode ? options.sentinelTLS : undefined,
      connectionName: 'meeting-queue-sentinel-watch',
      connectTimeout: options.connectTimeout,
      keepAlive: options.keepAlive,
      socketTimeout: options.socketTimeout,
      disconnectTimeout: options.disconnectTimeout,
      // a Sentinel down or restarting: subscribe again once it is back (ioredis resubscribes)
      retryStrategy: (times) => Math.min(100 * times, 2000),
      maxRetriesPerRequest: null,
    });
    // a Sentinel that is down would print "[ioredis] Unhandled error event" at each attempt; the
    // master's connections log the outages that matter
    subscriber.on('error', () => undefined);
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === SWITCH_CHANNEL && message.split(' ')[0] === watch.name) switched(watch, message);
    });
    subscriber.subscribe(SWITCH_CHANNEL).catch(() => undefined);
    if (typeof options.socketTimeout === 'number' && options.socketTimeout > 0) pingWhileSubscribed(subscriber, options.socketTimeout);
    watch.subscribers.push(subscriber);
  }
  return watch;
}

/** Each Sentinel announces the switch: the connections reconnect once per announcement. */
function switched(watch: Watch, message: string): void {
  if (message === watch.lastSwitch) return;
  watch.lastSwitch = message;
  for (const client of watch.clients) {
    // one connecting or reconnecting asks the Sentinels anyway
    if (client.status === 'ready' || client.status === 'connect') client.disconnect(true);
  }
}
