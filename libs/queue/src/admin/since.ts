/** What {@link parseSince} accepts, in words (for error messages). */
export const SINCE_EXPECTED = 'ms since the epoch, an ISO date (2026-05-01, 2026-05-01T12:00:00Z) or a duration back from now (30s, 15m, 2h, 7d)';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * A point in time in the forms `mq --since` takes (docs/cli.md): ms since the epoch, an ISO 8601
 * date or date-time, or a duration back from `now` (`30s`, `15m`, `2h`, `7d`). Returns ms since the
 * epoch, or undefined when `value` is none of these.
 */
export function parseSince(value: string, now = Date.now()): number | undefined {
  const relative = /^(\d+)([smhd])$/.exec(value);
  if (relative) return now - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS];
  if (/^\d+$/.test(value)) return Number.isSafeInteger(Number(value)) ? Number(value) : undefined;
  // only ISO forms: Date.parse alone also takes loose text ("abc 1" is a date in 2001)
  if (!/^\d{4}-\d{2}-\d{2}(T|$)/.test(value)) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : time;
}
