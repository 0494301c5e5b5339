import type { RedisClient } from '@meeting/queue';
import { CliError, EXIT } from './cli-errors';

/** What {@link watchConnection} returns: `lost` rejects once Redis is given up; `stop` ends the watch. */
export interface ConnectionWatch {
  /** Rejects with a CliError (exit 3) when Redis stays unreachable for the timeout, or refuses for good; never resolves. */
  readonly lost: Promise<never>;
  /** Whether `lost` has rejected. */
  readonly fired: () => boolean;
  stop(): void;
}

/**
 * Watches the command connection while a command runs. The library's clients wait for a reconnect
 * as long as it takes (ioredis `maxRetriesPerRequest: null`: a command sent while Redis is away
 * neither fails nor returns), so a command would hang, a `--watch` or a `tail` for ever. Here a
 * deadline of `timeoutMs` starts when the connection closes (cleared once it is ready again) and
 * when a PING is sent (every `min(timeoutMs, 1 s)` while the command runs, cleared by the answer:
 * a frozen Redis or a silent network closes nothing). Past the deadline, or at once when the
 * server refuses the connection for good (credentials, ACL, certificate), `lost` rejects with the
 * one-line message of an unreachable Redis.
 */
export function watchConnection(client: RedisClient, description: string, timeoutMs: number): ConnectionWatch {
  let reject!: (error: CliError) => void;
  const lost = new Promise<never>((_, r) => (reject = r));
  lost.catch(() => undefined); // a command that ends first never awaits it
  let fired = false;
  let stopped = false;
  let lastError = '';
  let deadline: NodeJS.Timeout | undefined;
  let pinger: NodeJS.Timeout | undefined;

  const fail = (message: string) => {
    if (fired || stopped) return;
    fired = true;
    stop();
    reject(new CliError(message, EXIT.unreachable));
  };
  // on a busy machine the timer may come due with the answer already read from the socket, not yet
  // handled: the check waits for that turn of the event loop (setImmediate runs after its I/O)
  const expire = () => setImmediate(() => deadline && fail(`Redis ${description} not reachable for ${timeoutMs} ms${lastError ? `: ${lastError}` : ''}`));
  const arm = () => (deadline ??= setTimeout(expire, timeoutMs));
  const disarm = () => {
    clearTimeout(deadline);
    deadline = undefined;
  };
  const ping = () => {
    pinger = undefined;
    if (stopped) return;
    arm();
    client.ping().then(answered, (error: Error) => (error.name === 'ReplyError' ? answered() : schedulePing()));
  };
  const answered = () => {
    if (client.status === 'ready') disarm();
    schedulePing();
  };
  const schedulePing = () => {
    if (!stopped) pinger = setTimeout(ping, Math.min(timeoutMs, 1000));
  };

  const onError = (error: Error) => (lastError = error.message);
  const onClose = () => arm();
  const onReady = () => disarm();
  const onRefused = (error: Error) => fail(error.message);
  client.on('error', onError);
  client.on('close', onClose);
  client.on('end', onClose);
  client.on('ready', onReady);
  client.on('refusal', onRefused);
  client.on('permanent-error', onRefused);
  if (client.status !== 'ready') arm();
  schedulePing();

  function stop(): void {
    stopped = true;
    disarm();
    clearTimeout(pinger);
    client.off('error', onError);
    client.off('close', onClose);
    client.off('end', onClose);
    client.off('ready', onReady);
    client.off('refusal', onRefused);
    client.off('permanent-error', onRefused);
  }
  return { lost, fired: () => fired, stop };
}
