import { PerformanceObserver } from 'perf_hooks';

export interface GcPauses {
  /** Garbage-collection pauses of this process between start and stop. */
  count: number;
  totalMs: number;
  maxMs: number;
  /** Pauses longer than 5 ms (each one delays every message waiting in this process by that much). */
  over5ms: number;
}

/**
 * Garbage-collection pauses of this Node process (producer, consumer and harness) from now until
 * the returned function is called: where a latency tail comes from when the event loop stalls.
 */
export function startGcMeter(): () => GcPauses {
  const pauses: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push(entry.duration);
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    observer.disconnect();
    return {
      count: pauses.length,
      totalMs: pauses.reduce((sum, ms) => sum + ms, 0),
      maxMs: pauses.reduce((max, ms) => Math.max(max, ms), 0),
      over5ms: pauses.filter((ms) => ms > 5).length,
    };
  };
}
