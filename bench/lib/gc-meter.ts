import { constants, PerformanceEntry, PerformanceObserver } from 'perf_hooks';

export interface GcPauses {
  /** Garbage-collection pauses of this process between start and stop. */
  count: number;
  totalMs: number;
  maxMs: number;
  /** Pauses longer than 5 ms (each one delays every message waiting in this process by that much). */
  over5ms: number;
  /** Pauses by kind (minor: scavenge of the young generation; major: mark-compact; incremental; weakcb): count and longest. */
  byKind?: Record<string, { count: number; maxMs: number }>;
}

const KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** "minor 40 (longest 2.1 ms), major 2 (longest 9.8 ms)": where the longest pauses come from. */
export function describeGcKinds(pauses: GcPauses): string {
  return Object.entries(pauses.byKind ?? {})
    .map(([kind, k]) => `${kind} ${k.count} (longest ${k.maxMs.toFixed(1)} ms)`)
    .join(', ');
}

/**
 * Garbage-collection pauses of this Node process (producer, consumer and harness) from now until
 * the returned function is called: where a latency tail comes from when the event loop stalls.
 */
export function startGcMeter(): () => GcPauses {
  const pauses: number[] = [];
  const byKind: Record<string, { count: number; maxMs: number }> = {};
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      pauses.push(entry.duration);
      const detail = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail;
      const kind = KINDS[detail?.kind ?? -1] ?? 'other';
      const k = (byKind[kind] ??= { count: 0, maxMs: 0 });
      k.count += 1;
      k.maxMs = Math.max(k.maxMs, entry.duration);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    observer.disconnect();
    return {
      count: pauses.length,
      totalMs: pauses.reduce((sum, ms) => sum + ms, 0),
      maxMs: pauses.reduce((max, ms) => Math.max(max, ms), 0),
      over5ms: pauses.filter((ms) => ms > 5).length,
      byKind,
    };
  };
}
