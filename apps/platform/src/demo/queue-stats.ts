/** Lines of the final queue stats: each service's queues from GET /health/queues (pending, dead letters) and the tasks it ran. */
export function formatQueueStats(stats: Record<string, unknown>): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const [service, entry] of Object.entries(stats)) {
    const { health: details, processed } = entry as { health?: unknown; processed?: Record<string, number> };
    const walk = (value: unknown) => {
      if (typeof value !== 'object' || value === null) return;
      for (const [key, inner] of Object.entries(value)) {
        if (key.startsWith('queue:') && typeof inner === 'object' && inner !== null) {
          const q = inner as { pending?: number; deadLetters?: number };
          const line = `  ${key.slice(6).padEnd(16)} pending ${String(q.pending ?? '?').padStart(4)}   dead letters ${String(q.deadLetters ?? '?').padStart(4)}`;
          if (!seen.has(key)) lines.push(`${line}   (seen by ${service})`);
          seen.add(key);
        } else {
          walk(inner);
        }
      }
    };
    walk(details);
    const ran = Object.entries(processed ?? {}).map(([type, n]) => `${type} ${n}`);
    if (ran.length > 0) lines.push(`  ${service}-service ran: ${ran.join(', ')}`);
  }
  return lines;
}
