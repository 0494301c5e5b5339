import type { QueueLogger } from '../../src/logger';

/** A logger that keeps its lines (failover runs log every outage; the specs read them when they fail). */
export function silentLogger(lines: string[] = []): QueueLogger & { lines: string[] } {
  const logger = {
    lines,
    log: (message: string) => void lines.push(`log ${message}`),
    warn: (message: string) => void lines.push(`warn ${message}`),
    error: (message: string) => void lines.push(`error ${message}`),
    debug: (message: string) => void lines.push(`debug ${message}`),
    child: () => logger,
  };
  return logger;
}
