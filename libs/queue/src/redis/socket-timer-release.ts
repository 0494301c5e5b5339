import { Cluster } from 'ioredis';
import type { Redis } from 'ioredis';

/** The private part of ioredis' Redis (5.11) this relies on: the socket timeout's timer. */
interface SocketTimerInternals {
  socketTimeoutTimer?: ReturnType<typeof setTimeout>;
}

/** The connections already handled (a node is announced once, but a client may be equipped twice). */
const handled = new WeakSet<Redis>();

/**
 * Clears a connection's socket-timeout timer when its socket closes. ioredis (5.11) arms the timer
 * when it writes a command while none is armed, and clears it only when data arrives on the socket
 * it was armed for; a socket that closed while replies were owed (Redis restarted, a failover, a
 * `CLIENT KILL`, a `disconnect()`) left it running:
 * - after a reconnect it cut off the new, healthy socket `socketTimeoutMs` after the first command
 *   owed on the old one ("Socket timeout", an outage logged, every pending command sent again),
 *   and no timer guarded the new socket until then;
 * - after `disconnect()` it kept the process alive for its whole length: for a blocking connection
 *   its block time plus the socket timeout (35 s after an idle worker's close, by default).
 * For a Cluster client: each of its node connections.
 */
export function releaseSocketTimerOnClose(client: Redis | Cluster): void {
  if (client instanceof Cluster) {
    client.nodes('all').forEach(releaseOnClose);
    client.on('+node', releaseOnClose);
  } else releaseOnClose(client);
}

function releaseOnClose(connection: Redis): void {
  if (handled.has(connection)) return;
  handled.add(connection);
  connection.on('close', () => {
    const internals = connection as unknown as SocketTimerInternals;
    clearTimeout(internals.socketTimeoutTimer);
    internals.socketTimeoutTimer = undefined;
  });
}
