import type { QueueLogger } from '../../src';

/** A QueueLogger that keeps every line (`<level> <context> <message>`) for assertions. */
export interface CapturedLog extends QueueLogger {
  readonly lines: string[];
  /** Lines containing `text`. */
  matching(text: string): string[];
}

export function captureLogger(): CapturedLog {
  const lines: string[] = [];
  const make = (context: string): QueueLogger => ({
    debug: () => undefined,
    log: (m) => void lines.push(`log ${context} ${m}`),
    warn: (m) => void lines.push(`warn ${context} ${m}`),
    error: (m) => void lines.push(`error ${context} ${m}`),
    child: (c) => make(c),
  });
  return Object.assign(make(''), { lines, matching: (text: string) => lines.filter((l) => l.includes(text)) });
}
