import type { QueueLogger } from '../logger';

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/**
 * While a shutdown drains, a further SIGTERM/SIGINT/SIGHUP must not kill the process half-way (a
 * listener replaces Node's default "exit at once"): it is logged and ignored. Returns the function
 * that removes the guard. SIGKILL cannot be caught; then leases expire and messages run again.
 */
export function guardSignalsDuringShutdown(logger: QueueLogger): () => void {
  const onSignal = (signal: NodeJS.Signals) => logger.warn(`${signal} received while shutting down: still draining in-flight work`);
  for (const s of SIGNALS) process.on(s, onSignal);
  return () => {
    for (const s of SIGNALS) process.removeListener(s, onSignal);
  };
}

/**
 * For services without Nest: on the first of `signals`, run `shutdown` then exit with code 0 (1 if
 * it failed). Later signals during the shutdown are logged and ignored. Returns a remover.
 */
export function exitOnSignals(shutdown: () => Promise<unknown>, logger: QueueLogger, signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    remove();
    logger.log(`${signal} received: shutting down`);
    shutdown().then(
      () => process.exit(0),
      (error: Error) => {
        logger.error(`shutdown failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  const remove = () => signals.forEach((s) => process.removeListener(s, onSignal));
  signals.forEach((s) => process.once(s, onSignal));
  return remove;
}
