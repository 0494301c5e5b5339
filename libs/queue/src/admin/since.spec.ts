import { parseSince } from './since';

describe('parseSince (mq --since, the dashboard since=)', () => {
  const now = Date.UTC(2026, 11, 3, 12, 0, 0);

  it('takes epoch ms, ISO dates and durations back from now', () => {
    expect(parseSince('1764763200000', now)).toBe(1764763200000);
    expect(parseSince('2026-12-01', now)).toBe(Date.UTC(2026, 11, 1));
    expect(parseSince('2026-12-01T10:00:00Z', now)).toBe(Date.UTC(2026, 11, 1, 10));
    expect(parseSince('30s', now)).toBe(now - 30_000);
    expect(parseSince('15m', now)).toBe(now - 900_000);
    expect(parseSince('2h', now)).toBe(now - 7_200_000);
    expect(parseSince('7d', now)).toBe(now - 7 * 86_400_000);
  });

  it.each(['x 5', 'tomorrow 1', 'yesterday-ish', '1h30m', '-5m', '2026-13-45', '', '99999999999999999999'])(
    'refuses %p (Date.parse alone reads loose text as a date)',
    (text) => {
      expect(parseSince(text, now)).toBeUndefined();
    },
  );
});
