/** A stored count (attempts ended in `att`, a counter in `stats`); a damaged (non-integer) field counts as none. */
export function endedAttempts(raw: string | null | undefined): number {
  const n = Number(raw ?? 0);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

/** A progress entry (`<lease token> <at> <JSON>`, lua/progress.lua) of the delivery holding `lease`; null for none or another delivery's. */
export function progressEntry(entry: string | null | undefined, lease: string): { json: string; at: number } | null {
  if (!entry || !entry.startsWith(`${lease} `)) return null;
  const rest = entry.slice(lease.length + 1);
  const space = rest.indexOf(' ');
  return space < 0 ? null : { at: Number(rest.slice(0, space)), json: rest.slice(space + 1) };
}
