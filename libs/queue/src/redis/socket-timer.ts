import { Cluster } from 'ioredis';
import type { Redis } from 'ioredis';

/**
 * Characters of owed commands that add 1 ms to a connection's socket timeout: 4 MB a second, many
 * times slower than Redis receives and stores a batch (about 50 MB a second on a 2-core machine
 * under load), so only a path that carries nothing is cut off.
 */
export const OWED_CHARS_PER_MS = 4_000;

/** A command ioredis owes a reply for (an entry of its command queue). */
interface OwedCommand {
  command: { args: readonly unknown[] };
}

/** The private part of ioredis' Redis (5.11) this relies on: the socket timeout, its timer and the commands owed. */
interface SocketTimerInternals {
  options: { socketTimeout?: number };
  stream: { destroy(error: Error): void; once(event: 'data', listener: () => void): unknown };
  commandQueue: { length: number; peekAt(index: number): OwedCommand | undefined };
  socketTimeoutTimer?: ReturnType<typeof setTimeout>;
  setSocketTimeout(): void;
}

/** The connections already handled (a node is announced once, but a client may be equipped twice). */
const handled = new WeakSet<Redis>();

/**
 * Fixes two things in how ioredis (5.11) times a connection that owes replies (`socketTimeout`),
 * on each connection of `client` (for a Cluster client: each of its node connections):
 * - **A stale timer.** ioredis arms the timer when it writes a command while none is armed, and
 *   clears it only when data arrives on the socket it was armed for; a socket that closed while
 *   replies were owed (Redis restarted, a failover, a `CLIENT KILL`, a `disconnect()`) left it
 *   running: after a reconnect it cut off the new, healthy socket `socketTimeoutMs` after the first
 *   command owed on the old one ("Socket timeout", an outage logged, every pending command sent
 *   again), and after `disconnect()` it kept the process alive for its whole length (35 s after an
 *   idle worker's close). The timer is now cleared when the socket closes.
 * - **Large commands.** Redis answers a command only once it has received and run it all, so a
 *   batch of hundreds of MB was cut off after `socketTimeoutMs` on a loaded machine, sent again
 *   after the reconnect, and cut off again, for good (the connection unusable meanwhile). The
 *   timeout now grows by 1 ms per {@link OWED_CHARS_PER_MS} characters of the commands owed
 *   when it expires (256 Mi characters: about 67 s more), and a connection whose owed commands are
 *   small is cut off as before.
 */
export function equipSocketTimer(client: Redis | Cluster): void {
  if (client instanceof Cluster) {
    client.nodes('all').forEach(equipConnection);
    client.on('+node', equipConnection);
  } else equipConnection(client);
}

function equipConnection(connection: Redis): void {
  if (handled.has(connection)) return;
  handled.add(connection);
  const internals = connection as unknown as SocketTimerInternals;
  internals.setSocketTimeout = () => armSocketTimer(internals);
  connection.on('close', () => {
    clearTimeout(internals.socketTimeoutTimer);
    internals.socketTimeoutTimer = undefined;
  });
}

/**
 * ioredis' `setSocketTimeout`, with the allowance for what is owed: armed after a write while no
 * timer runs and again after each reply while commands are owed; when it expires, the socket is
 * destroyed unless the owed commands' allowance leaves time, then it waits out the rest.
 */
function armSocketTimer(internals: SocketTimerInternals): void {
  const timeoutMs = internals.options.socketTimeout ?? 0;
  const stream = internals.stream;
  const armedAt = Date.now();
  const expire = (): void => {
    const allowedMs = timeoutMs + Math.floor(owedChars(internals.commandQueue) / OWED_CHARS_PER_MS);
    const leftMs = armedAt + allowedMs - Date.now();
    if (leftMs > 0) {
      internals.socketTimeoutTimer = setTimeout(expire, leftMs);
      return;
    }
    internals.socketTimeoutTimer = undefined;
    stream.destroy(new Error(`Socket timeout. Expecting data, but didn't receive any in ${allowedMs}ms.`));
  };
  internals.socketTimeoutTimer = setTimeout(expire, timeoutMs);
  // runs after ioredis' own 'data' handler (registered at connect), so the queue is up to date
  stream.once('data', () => {
    clearTimeout(internals.socketTimeoutTimer);
    internals.socketTimeoutTimer = undefined;
    if (internals.commandQueue.length > 0) internals.setSocketTimeout();
  });
}

/** Characters of the arguments of the commands owed (strings and Buffers; other values count 16). */
function owedChars(queue: SocketTimerInternals['commandQueue']): number {
  let chars = 0;
  for (let i = 0; i < queue.length; i++) {
    for (const arg of queue.peekAt(i)?.command.args ?? []) chars += typeof arg === 'string' || Buffer.isBuffer(arg) ? arg.length : 16;
  }
  return chars;
}
