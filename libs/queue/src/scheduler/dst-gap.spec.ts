/**
 * nextOccurrence across daylight-saving transitions: an occurrence whose local time falls in a gap
 * runs shifted by the gap (never skipped); a fall-back day runs a daily job once; other days are
 * unchanged. Transition instants were read with Intl (and are checked below); inputs are fixed epochs.
 */
import { utcOffset } from './dst-gap';
import { nextOccurrence } from './schedule-spec';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The next run of `cron` in `tz` strictly after `after` (ms). */
function next(cron: string, tz: string, after: number): number {
  return nextOccurrence({ when: { cron, tz }, anchor: 0 }, after);
}

/** The first `count` runs of `cron` in `tz` after `after`, as ISO strings. */
function runs(cron: string, tz: string, after: number, count: number): string[] {
  const out: string[] = [];
  let t = after;
  for (let i = 0; i < count; i++) {
    t = next(cron, tz, t);
    out.push(new Date(t).toISOString());
  }
  return out;
}

/** The local calendar date (YYYY-MM-DD) of an instant in `tz`. */
function localDate(tz: string, at: number): string {
  return new Date(at + utcOffset(tz, at)).toISOString().slice(0, 10);
}

/** Santiago springs forward at 2026-09-06T04:00Z: local 00:00 (-04) becomes 01:00 (-03). */
const SANTIAGO_GAP = Date.UTC(2026, 8, 6, 4);
/** Berlin springs forward at 2026-03-29T01:00Z: local 02:00 (+01) becomes 03:00 (+02). */
const BERLIN_GAP = Date.UTC(2026, 2, 29, 1);
/** Berlin falls back at 2026-10-25T01:00Z: local 03:00 (+02) becomes 02:00 (+01). */
const BERLIN_FALL = Date.UTC(2026, 9, 25, 1);

describe('nextOccurrence in a DST gap', () => {
  it('uses the transition instants read with Intl', () => {
    expect([utcOffset('America/Santiago', SANTIAGO_GAP - 1), utcOffset('America/Santiago', SANTIAGO_GAP)]).toEqual([-4 * HOUR, -3 * HOUR]);
    expect([utcOffset('Europe/Berlin', BERLIN_GAP - 1), utcOffset('Europe/Berlin', BERLIN_GAP)]).toEqual([HOUR, 2 * HOUR]);
    expect([utcOffset('Europe/Berlin', BERLIN_FALL - 1), utcOffset('Europe/Berlin', BERLIN_FALL)]).toEqual([2 * HOUR, HOUR]);
  });

  it('runs a Santiago daily 00:00 job on the change day at local 01:00', () => {
    expect(runs('0 0 * * *', 'America/Santiago', Date.UTC(2026, 8, 4, 12), 3)).toEqual([
      '2026-09-05T04:00:00.000Z',
      '2026-09-06T04:00:00.000Z',
      '2026-09-07T03:00:00.000Z',
    ]);
  });

  it('runs a Santiago daily 00:30 job on the change day at local 01:30', () => {
    expect(runs('30 0 * * *', 'America/Santiago', Date.UTC(2026, 8, 4, 12), 3)).toEqual([
      '2026-09-05T04:30:00.000Z',
      '2026-09-06T04:30:00.000Z',
      '2026-09-07T03:30:00.000Z',
    ]);
  });

  it('runs a Santiago weekly Sunday 00:00 job in the week of the change', () => {
    expect(runs('0 0 * * 0', 'America/Santiago', Date.UTC(2026, 7, 25, 12), 3)).toEqual([
      '2026-08-30T04:00:00.000Z',
      '2026-09-06T04:00:00.000Z',
      '2026-09-13T03:00:00.000Z',
    ]);
  });

  it('runs a 6-field (seconds) cron in the gap, shifted by the gap', () => {
    expect(runs('15 0 0 * * *', 'America/Santiago', Date.UTC(2026, 8, 5, 12), 2)).toEqual(['2026-09-06T04:00:15.000Z', '2026-09-07T03:00:15.000Z']);
  });

  it('keeps Berlin 02:30 on its change day at 03:30 local', () => {
    expect(runs('30 2 * * *', 'Europe/Berlin', Date.UTC(2026, 2, 27, 12), 3)).toEqual([
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:30:00.000Z',
      '2026-03-30T00:30:00.000Z',
    ]);
  });

  it('runs every gap time of a cron, not only the first (Berlin 02:00 and 02:30)', () => {
    expect(runs('0,30 2 * * *', 'Europe/Berlin', Date.UTC(2026, 2, 28, 12), 3)).toEqual([
      '2026-03-29T01:00:00.000Z',
      '2026-03-29T01:30:00.000Z',
      '2026-03-30T00:00:00.000Z',
    ]);
  });

  it('gives consecutive instants without duplicates for an every-minute cron across the Berlin gap', () => {
    const got = runs('* * * * *', 'Europe/Berlin', BERLIN_GAP - 3 * 60_000, 6).map((iso) => Date.parse(iso));
    expect(got).toEqual([-2, -1, 0, 1, 2, 3].map((k) => BERLIN_GAP + k * 60_000));
  });

  it('runs a daily job once on a fall-back day', () => {
    expect(runs('0 0 * * *', 'Europe/Berlin', Date.UTC(2026, 9, 23, 12), 3)).toEqual([
      '2026-10-23T22:00:00.000Z',
      '2026-10-24T22:00:00.000Z',
      '2026-10-25T23:00:00.000Z',
    ]);
    // 02:30 happens twice that night: the job runs at the first, once
    expect(runs('30 2 * * *', 'Europe/Berlin', Date.UTC(2026, 9, 24, 12), 2)).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  });

  it('leaves a day without a transition unchanged', () => {
    expect(runs('0 0 * * *', 'America/Santiago', Date.UTC(2026, 5, 1, 12), 2)).toEqual(['2026-06-02T04:00:00.000Z', '2026-06-03T04:00:00.000Z']);
    expect(runs('30 2 * * *', 'Europe/Berlin', Date.UTC(2026, 5, 1, 12), 2)).toEqual(['2026-06-02T00:30:00.000Z', '2026-06-03T00:30:00.000Z']);
  });

  it('finds the gap in a long interval with several transitions (a yearly cron)', () => {
    // 6 September 00:00 only exists in 2026 as the Santiago change day; from a year before, it is the next run
    expect(next('0 0 6 9 *', 'America/Santiago', Date.UTC(2025, 8, 7))).toBe(SANTIAGO_GAP);
  });

  /** Local dates of each zone's 2026 transitions (spring forward, fall back), read with Intl. */
  const CHANGE_DAYS: [string, string, string][] = [
    ['America/Santiago', '2026-09-06', '2026-04-05'],
    ['America/Havana', '2026-03-08', '2026-11-01'],
    ['Africa/Cairo', '2026-04-24', '2026-10-30'],
    ['Asia/Beirut', '2026-03-29', '2026-10-25'],
    ['Europe/Berlin', '2026-03-29', '2026-10-25'],
  ];

  it.each(CHANGE_DAYS)('runs a daily 00:00 job in %s exactly once on every day around its changes (%s, %s)', (tz, ...changes) => {
    for (const change of changes) {
      const first = Date.parse(change) - 5 * DAY;
      const dates = runs('0 0 * * *', tz, first - DAY + 12 * HOUR, 11).map((iso) => localDate(tz, Date.parse(iso)));
      expect(dates).toEqual(Array.from({ length: 11 }, (_, i) => new Date(first + i * DAY).toISOString().slice(0, 10)));
    }
  });
});
