/** The soak's printed report: the series, the flatness verdicts, the counts of the apps and of the mixed load, the keys, the verdict. */
import type { SoakResult } from './soak-run';
import { MB } from './soak-series';

export function fmt(name: string, value: number): string {
  return name.includes('keys') ? `${Math.round(value)} keys` : `${(value / MB).toFixed(1)} MB`;
}

export function report(r: SoakResult, out: (line: string) => void): void {
  out('');
  const processes = Object.keys(r.series.rss).filter((p) => r.series.rss[p].some(Number.isFinite));
  out(`time (s) | redis used_memory (MB): total, without app records | keys + app records | http p50/p99 (ms) | RSS (MB): ${processes.join(' / ')}`);
  r.series.t.forEach((t, i) => {
    const rss = processes.map((s) => (r.series.rss[s][i] / MB).toFixed(1)).join(' / ');
    const latency = `${r.series.httpP50[i]}/${r.series.httpP99[i]}`;
    const keys = `${r.series.keys[i]} + ${r.series.appRecords[i]}`;
    const memory = `${(r.series.redisMemory[i] / MB).toFixed(2)}, ${(r.series.redisMemoryWithoutRecords[i] / MB).toFixed(2)}`;
    out(`${String(t).padStart(8)} | ${memory.padStart(50)} | ${keys.padStart(18)} | ${latency.padStart(17)} | ${rss}`);
  });
  out('');
  for (const [name, f] of Object.entries(r.flatness)) {
    out(
      `${f.ok ? 'flat ' : 'GROWS'} ${name}: ${fmt(name, f.growth)} (line), ${fmt(name, f.floorGrowth)} (floor) over the last half (${f.samples} samples, allowed ${fmt(name, f.allowed)})`,
    );
  }
  const c = r.counts;
  out(
    `meetings: ${c.meetings} (${c.autoEnded} ended by the scheduler), ${c.failedMeetings} not finished by the driver; ${c.frames} frames relayed, ${c.transcripts} transcripts, ${c.emotions} emotion requests, ${c.transcodes} transcodes`,
  );
  out(
    `handler runs logged: ${Object.entries(c.runs)
      .map(([t, k]) => `${t} ${k}`)
      .join(', ')}; dead letters ${c.deadLetters}; duplicates: ${c.duplicates.runs} task runs, ${c.duplicates.frames} frames`,
  );
  const m = r.mixed;
  if (m) {
    out(
      `mixed load: ${m.published} tasks published (tiers ${Object.entries(m.tiers)
        .map(([p, n]) => `${p} ${n}`)
        .join(
          ', ',
        )}; ${m.delayed} delayed), ${m.processed} runs completed (incl. ${m.ticks} recurring, ${m.dispatched} dispatched), ${m.deadLettered} dead-lettered, ${m.replayed} replayed, ${m.retriedAttempts} planned failed attempts retried`,
    );
    out(
      `mixed load: dispatch outcomes ${m.outcomes}; events ${m.pubsubEvents} redis_pubsub, ${m.streamEvents} redis_stream (x4 subscribers each); duplicates: ${m.duplicates.tasks} tasks, ${m.duplicates.streamDeliveries} stream deliveries${m.notes > 0 ? `; ${m.notes} recurring occurrence(s) skipped after the missed-run grace (starved machine)` : ''}`,
    );
  }
  out(`apps started in ${r.startSeconds.toFixed(1)} s; drained in ${r.drainSeconds.toFixed(1)} s`);
  if (r.notes.length > 0) out(`notes: ${r.notes.length} recurring occurrence(s) reached late on a starved machine, caught up by the missed-run policy`);
  out(
    `keys at the end: ${r.keys.total}, of which ${r.keys.appRecords} app records (${Object.entries(r.keys.patterns)
      .map(([p, n]) => `${p} ${n}`)
      .join(', ')})`,
  );
  out(r.ok ? 'SOAK PASSED' : `SOAK FAILED:\n  - ${r.failures.join('\n  - ')}`);
}
