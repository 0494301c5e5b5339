import type Redis from 'ioredis';

/** Parses `INFO <section>` into field -> value. */
export async function info(admin: Redis, section: string): Promise<Record<string, string>> {
  const text = await admin.info(section);
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

export async function usedMemory(admin: Redis): Promise<number> {
  return Number((await info(admin, 'memory')).used_memory);
}

/** Calls per command name from `INFO commandstats` (commands run inside Lua scripts included). */
export async function commandCalls(admin: Redis): Promise<Record<string, number>> {
  const stats = await info(admin, 'commandstats');
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(stats)) {
    const m = /^cmdstat_(.+)$/.exec(key);
    const calls = /calls=(\d+)/.exec(value);
    if (m && calls) out[m[1]] = Number(calls[1]);
  }
  return out;
}

/** after - before per command, zero deltas left out. */
export function callDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [cmd, n] of Object.entries(after)) {
    const d = n - (before[cmd] ?? 0);
    if (d > 0) out[cmd] = d;
  }
  return out;
}

export interface CommandStat {
  calls: number;
  usec: number;
}

/** Calls and total microseconds per command from `INFO commandstats`. */
export async function commandStats(admin: Redis): Promise<Record<string, CommandStat>> {
  const stats = await info(admin, 'commandstats');
  const out: Record<string, CommandStat> = {};
  for (const [key, value] of Object.entries(stats)) {
    const m = /^cmdstat_(.+)$/.exec(key);
    const calls = /calls=(\d+)/.exec(value);
    const usec = /usec=(\d+)/.exec(value);
    if (m && calls && usec) out[m[1]] = { calls: Number(calls[1]), usec: Number(usec[1]) };
  }
  return out;
}
