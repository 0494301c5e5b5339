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

/** Commands that ran longer than a threshold, from Redis' SLOWLOG (a script and each command inside it count). */
export interface SlowCommands {
  /** Entries at or over `thresholdUs` (at most `max`, the log's length while measuring). */
  count: number;
  /** Longest entry, µs (0 when none). */
  maxUs: number;
  thresholdUs: number;
}

/**
 * Counts redis-server's commands slower than `thresholdUs` from now until the returned function is
 * called (SLOWLOG, reset at the start; the server's own settings are put back at the end). A
 * single-threaded server that runs one command for milliseconds delays every client by as much.
 */
export async function startSlowLog(admin: Redis, thresholdUs = 1000, max = 10_000): Promise<() => Promise<SlowCommands>> {
  const setting = async (name: string) => ((await admin.config('GET', name)) as string[])[1];
  const before = { slower: await setting('slowlog-log-slower-than'), len: await setting('slowlog-max-len') };
  await admin.config('SET', 'slowlog-log-slower-than', String(thresholdUs), 'slowlog-max-len', String(max));
  await admin.slowlog('RESET');
  return async () => {
    const entries = (await admin.slowlog('GET', max)) as Array<[number, number, number, unknown[]]>;
    await admin.config('SET', 'slowlog-log-slower-than', before.slower, 'slowlog-max-len', before.len);
    return { count: entries.length, maxUs: entries.reduce((m, e) => Math.max(m, Number(e[2])), 0), thresholdUs };
  };
}

/** "redis-server commands over 1 ms (SLOWLOG, scripts and the commands inside them): 92, longest 10.2 ms". */
export function describeSlowCommands(slow: SlowCommands): string {
  return `redis-server commands over ${slow.thresholdUs / 1000} ms (SLOWLOG, scripts and the commands inside them): ${slow.count}, longest ${(slow.maxUs / 1000).toFixed(1)} ms`;
}
