/**
 * Cron occurrences whose local wall-clock time falls in a daylight-saving gap (the hour skipped when
 * the clock springs forward). cron-parser moves some of them by the gap (Europe/Berlin: 02:30 in the
 * 02:00 -> 03:00 gap runs at 03:30) but skips others altogether (a daily 00:00 job where the clock
 * jumps from 00:00 to 01:00, as in America/Santiago, Havana, Cairo or Beirut). Here every such
 * occurrence runs at the instant the clock would have shown it had it not jumped, shifted by the gap:
 * its wall-clock time read with the offset in force before the jump.
 */
import { CronExpressionParser } from 'cron-parser';

/** A spring-forward transition: the first instant of the new offset, and the offsets (ms) before and after it. */
export interface SpringForward {
  at: number;
  before: number;
  after: number;
}

/**
 * How far back a gap can still give an occurrence after a given instant: the longest gap on record
 * (Pacific/Apia skipped a whole day in 2011), so a gap that began just before `after` is not forgotten.
 */
const LOOKBACK_MS = 86_400_000;
/** Offsets are sampled this far apart; two transitions closer than this that cancel out would go unseen. */
const SCAN_STEP_MS = 7 * 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** A cached formatter giving the wall-clock fields of an instant in `tz`. */
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** The UTC offset (ms, local minus UTC) of `tz` at the instant `at`. */
export function utcOffset(tz: string, at: number): number {
  const parts = formatter(tz).formatToParts(new Date(at));
  const field = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(field('year'), field('month') - 1, field('day'), field('hour'), field('minute'), field('second'));
  return wall - Math.floor(at / 1000) * 1000;
}

/** The first instant in (lo, hi] whose offset is not `offLo` (the offset at lo); the one at hi must differ. */
function firstChange(tz: string, lo: number, hi: number, offLo: number): number {
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (utcOffset(tz, mid) === offLo) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * The spring-forward transitions of `tz` in (from, to], in order. Costs one offset read per
 * {@link SCAN_STEP_MS} of the interval (two for an interval shorter than that), plus a bisection per transition.
 */
export function springForwards(tz: string, from: number, to: number): SpringForward[] {
  const found: SpringForward[] = [];
  let lo = from;
  let offLo = utcOffset(tz, lo);
  while (lo < to) {
    const hi = Math.min(lo + SCAN_STEP_MS, to);
    if (utcOffset(tz, hi) === offLo) {
      lo = hi;
      continue;
    }
    const at = firstChange(tz, lo, hi, offLo);
    const after = utcOffset(tz, at);
    if (after > offLo) found.push({ at, before: offLo, after });
    lo = at;
    offLo = after;
  }
  return found;
}

/**
 * The first occurrence of `cron` after `after` that falls in the gap, as an instant: the cron is
 * evaluated on the floating wall clock (UTC standing for local time) over the skipped wall-clock
 * interval, and a match is read with the offset before the jump. Null when none falls there.
 */
export function firstInGap(cron: string, gap: SpringForward, after: number): number | null {
  const startWall = gap.at + gap.before;
  const endWall = gap.at + gap.after;
  const fromWall = Math.max(startWall - 1, after + gap.before);
  if (fromWall >= endWall - 1) return null;
  const expr = CronExpressionParser.parse(cron, { tz: 'UTC', currentDate: new Date(fromWall), endDate: new Date(endWall - 1) });
  if (!expr.hasNext()) return null;
  return expr.next().getTime() - gap.before;
}

/**
 * The first occurrence of `cron` in `tz` strictly after `after`, given cron-parser's answer `next`:
 * `next`, or an earlier occurrence whose wall-clock time falls in a gap that cron-parser skipped.
 */
export function withGapOccurrences(cron: string, tz: string, after: number, next: number): number {
  let best = next;
  for (const gap of springForwards(tz, after - LOOKBACK_MS, next)) {
    if (gap.at >= best) break;
    const run = firstInGap(cron, gap, after);
    if (run !== null && run < best) best = run;
  }
  return best;
}
