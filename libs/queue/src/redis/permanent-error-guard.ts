import type { Cluster, Redis } from 'ioredis';
import { connect, ConnectionOptions } from 'tls';
import type { RedisPermanentError } from '../errors';
import { nextSubscriberPick, subscriberPickError } from './cluster-subscriber-pause';
import { permanentRedisError } from './permanent-errors';

/*
 * What a client the library made does with the errors retrying cannot cure (wrong credentials,
 * ACL refusals, certificate problems; see permanentRedisError): before it was ever ready it stops;
 * once it has been ready (a password rotated, an ACL rule changed under a running service) it
 * keeps reconnecting, and every command failing for such a reason rejects with the typed error.
 */

type Client = Redis | Cluster;
type Command = { name: string; reject(error: Error): void; promise: Promise<unknown> };
type Sender = { sendCommand(command: Command, ...rest: unknown[]): unknown };

interface GuardState {
  /** Met before the client (or the client it was duplicated from) was ever ready: stopped for good. */
  fatal?: RedisPermanentError;
  /**
   * Met by the latest connection attempt of a client that has been ready (a Cluster's: reading the
   * slot map); cleared when it is ready again or an attempt fails for an ordinary reason.
   */
  refused?: RedisPermanentError;
  everReady: boolean;
}

const states = new WeakMap<object, GuardState>();
/** Commands whose `reject` already translates (ioredis sends a command again after a redirection or a reconnect). */
const translating = new WeakSet<object>();
/** Statuses in which a command waits in the offline queue for the next connection attempt. */
const BETWEEN_ATTEMPTS = new Set(['reconnecting', 'connecting', 'close']);
/** The commands a Cluster client sends on its classic subscriber connection (cluster-subscriber-pause.ts). */
const SUBSCRIBER_COMMANDS = new Set(['subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe']);

/**
 * The permanent error `client` is failing with now: the one that stopped it before it was ever
 * ready, or, while it is not ready, the refusal of its latest connection attempt (a password
 * rotated under a running service; for a Cluster client, an attempt to read the slot map) until
 * it is ready again. Undefined when it works or meets an ordinary outage.
 */
export function refusalOf(client: object): RedisPermanentError | undefined {
  const state = states.get(client);
  return state?.fatal ?? ((client as { status?: string }).status === 'ready' ? undefined : state?.refused);
}

/**
 * Watches `client` for permanent errors (`description`: its masked URL, named in the errors).
 * - Before it was ever ready (nor `origin`, the client it was duplicated from), such an error stops
 *   it: no reconnect, every waiting or later command rejects with the typed error, `waitUntilReady`
 *   rejects with it at once (event `permanent-error`).
 * - Once ready, such an error of a connection attempt counts as an outage: the client keeps
 *   reconnecting with its usual backoff. Every command failing for that reason rejects with the
 *   typed error (`RedisAuthError`, `RedisPermissionError`, ...; never the raw ioredis error, whose
 *   `command.args` would hold the AUTH arguments): those in flight when the connection dropped
 *   (ioredis would send them again only once ready) and those sent between two refused attempts
 *   reject at once instead of waiting (event `refusal`, see {@link refusalOf}), and a command
 *   refused by the ACL rules (`NOPERM`) rejects with `RedisPermissionError` naming the command.
 *   A Cluster client's attempt is its reading of the slot map from the nodes (`node error`, then
 *   `ClusterAllFailedError`): a refusal there rejects what waits in its offline queue (as ioredis
 *   does for a single Redis at each refused attempt) and what is sent until an attempt succeeds or
 *   fails for an ordinary reason; a node refusing while the client is ready only fails the commands
 *   sent to that node. A Cluster's SUBSCRIBE and PSUBSCRIBE (and their undoing) go to its classic
 *   subscriber connection, picked apart from the slot map (cluster-subscriber-pause.ts): while its
 *   latest picks are refused, they reject at once with the typed error.
 */
export function guardPermanentErrors<C extends Client>(client: C, description: string, origin?: Client): C {
  const state: GuardState = { everReady: !!origin && (states.get(origin)?.everReady ?? origin.status === 'ready') };
  states.set(client, state);
  const cluster = (client as { isCluster?: boolean }).isCluster === true;
  client.on('ready', () => {
    state.everReady = true;
    state.refused = undefined;
  });
  /** The latest connection attempt of a client that has been ready failed: refused (`permanent`) or an ordinary outage. */
  const attemptFailed = (permanent: RedisPermanentError | null, error: Error) => {
    // a Cluster's attempt is its reading of the slot map; a node failing while it is ready
    // (one node refusing, a failover) is not the client's: its commands fail on their own
    if (cluster && client.status === 'ready') return;
    const refusal = permanent ?? (cluster ? permanentRedisError((error as { lastNodeError?: unknown }).lastNodeError, description) : null);
    state.refused = refusal ?? undefined;
    if (!refusal) return;
    if (cluster) {
      // what waits in the Cluster's offline queue would wait until the server accepts again (a
      // private ioredis method, like prevCommandQueue below: left alone if a release renames it)
      (client as unknown as { flushQueue?: (error: Error) => void }).flushQueue?.(refusal);
    } else {
      // commands in flight when the connection dropped wait for 'ready' to be sent again (ioredis
      // `prevCommandQueue`), which a refusal postpones indefinitely: they reject now (they may
      // have been applied, as after any dropped connection)
      const inFlight = (client as unknown as { prevCommandQueue?: { shift(): { command: Command } | undefined } | null }).prevCommandQueue;
      for (let item = inFlight?.shift(); item; item = inFlight?.shift()) item.command.reject(refusal);
    }
    client.emit('refusal', refusal);
  };
  let diagnosing = false;
  const onError = (error: Error) => {
    if (state.fatal) return;
    const permanent = permanentRedisError(error, description);
    if (state.everReady) return attemptFailed(permanent, error);
    if (!permanent) {
      // ioredis reports a failed TLS handshake with a Sentinel or a Cluster node only as "All
      // sentinels are unreachable" / "Failed to refresh slots cache": one handshake of our own
      // says whether it is a certificate problem
      const target = tlsDiagnosisTarget(client);
      if (target && !diagnosing && /All sentinels are unreachable|Failed to refresh slots cache/.test(error.message)) {
        diagnosing = true;
        void tlsHandshakeError(target).then((cause) => {
          diagnosing = false;
          if (cause) onError(cause);
        });
      }
      return;
    }
    state.fatal = permanent;
    client.emit('permanent-error', permanent);
    (client as unknown as { flushQueue?: (error: Error) => void }).flushQueue?.(permanent);
    client.disconnect();
  };
  client.on('error', (error: Error) => onError(error));
  client.on('node error', (error: Error) => onError(error));
  const onSubscriber = (command: Command) => cluster && SUBSCRIBER_COMMANDS.has(command.name);
  /** On a Cluster, the refusal the classic subscriber connection's picks meet (they run apart from the slot map's reading). */
  const subscriberRefusal = (command: Command): RedisPermanentError | undefined =>
    onSubscriber(command) ? (permanentRedisError(subscriberPickError(client as Cluster), description) ?? undefined) : undefined;
  const sender = client as unknown as Sender;
  const send = sender.sendCommand.bind(client);
  sender.sendCommand = (command: Command, ...rest: unknown[]) => {
    const known = state.fatal ?? (BETWEEN_ATTEMPTS.has(client.status) ? state.refused : undefined) ?? subscriberRefusal(command);
    if (known) {
      command.reject(known);
      return command.promise;
    }
    // between two picks of the classic subscriber connection: sent (and checked again) once the next is made
    const nextPick = onSubscriber(command) ? nextSubscriberPick(client as Cluster) : undefined;
    if (nextPick) {
      // (the caller holds command.promise: what the re-send returns is that same promise)
      void nextPick.then(() => void sender.sendCommand(command, ...rest));
      return command.promise;
    }
    if (!translating.has(command)) {
      translating.add(command);
      const reject = command.reject;
      // ioredis retries a subscriber command that met an ended pick and finally rejects it with its
      // own error ("Too many Cluster redirections"): while the picks are refused, that is the refusal
      command.reject = (error: Error) => reject(permanentRedisError(error, description) ?? subscriberRefusal(command) ?? error);
    }
    return send(command, ...rest);
  };
  return client;
}

type Node = { host?: string; port?: number };

/**
 * Where a TLS handshake tells what ioredis hides: the first Sentinel of a Sentinel client, the
 * first seed node of a Cluster, with their TLS options; undefined without TLS or for a single Redis.
 */
function tlsDiagnosisTarget(client: Client): ConnectionOptions | undefined {
  const c = client as {
    options?: { sentinels?: Node[]; sentinelTLS?: ConnectionOptions; redisOptions?: { tls?: ConnectionOptions } };
    startupNodes?: Array<Node | string | number>;
  };
  const sentinel = c.options?.sentinels?.[0];
  if (sentinel && c.options?.sentinelTLS) return { ...c.options.sentinelTLS, host: sentinel.host ?? '127.0.0.1', port: sentinel.port ?? 26379 };
  const seed = c.startupNodes?.[0];
  const tls = c.options?.redisOptions?.tls;
  if (tls && seed && typeof seed === 'object') return { ...tls, host: seed.host ?? '127.0.0.1', port: seed.port ?? 6379 };
  return undefined;
}

/** The error of one TLS handshake with `target` (null when it succeeds, or fails for another reason within 5 s). */
function tlsHandshakeError(target: ConnectionOptions): Promise<Error | null> {
  return new Promise((resolve) => {
    const socket = connect(target);
    const done = (error: Error | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(error && permanentRedisError(error, '') ? error : null);
    };
    const timer = setTimeout(() => done(null), 5000).unref();
    socket.once('secureConnect', () => done(null));
    socket.once('error', (error) => done(error));
  });
}
