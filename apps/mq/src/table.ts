/** Plain text tables for the human output of `mq` (the `--json` output is the stable interface). */
export function table(headers: string[], rows: Array<Array<string | number | boolean | null | undefined>>): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

/** `2026-11-30T06:33:17Z` style (UTC, seconds). */
export function time(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `250ms`, `1.2s`, `3m04s`, `2h10m` ... of a duration in ms (ms below a second: a 5 ms wait is not `0.0s`). */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (Math.abs(Math.round(ms)) < 1000) return `${Math.round(ms)}ms`;
  if (Math.abs(ms) < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** A value as one line of JSON, shortened for a table cell. */
export function short(value: unknown, max = 60): string {
  const text = value === undefined ? '' : (JSON.stringify(value) ?? '');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
