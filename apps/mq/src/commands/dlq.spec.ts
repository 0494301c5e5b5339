import { deadLetterHeading } from './dlq';

/** A selection as QueueAdmin.deadLetters returns it, with `shown` items. */
const selection = (shown: number, total: number, matched: number, matchedExact: boolean, scanned: number) => ({
  items: Array.from({ length: shown }, (_, i) => ({ id: `d${i}`, type: 'send', priority: null, payload: null, attempts: 1, reason: 'failed', deadAt: 0 })),
  total,
  matched,
  matchedExact,
  scanned,
});

describe('dlq list heading', () => {
  it('without a filter: shown of the queue total', () => {
    expect(deadLetterHeading('mail', { limit: 50 }, selection(50, 812, 812, true, 50))).toBe('mail: 50 shown of 812 dead letters');
  });

  it('with a filter: shown of those that match, the queue total beside it', () => {
    expect(deadLetterHeading('mail', { type: 'send', limit: 1 }, selection(1, 4, 3, true, 4))).toBe(
      'mail: 1 shown of 3 dead letters of type send (4 in the queue)',
    );
    expect(deadLetterHeading('mail', { type: 'other', since: Date.UTC(2026, 4, 1) }, selection(1, 4, 1, true, 4))).toBe(
      'mail: 1 shown of 1 dead letter of type other dead since 2026-05-01T00:00:00Z (4 in the queue)',
    );
  });

  it('with a count stopped at --scan: "at least", over how many of the total', () => {
    expect(deadLetterHeading('mail', { type: 'send', limit: 50 }, selection(50, 50_000, 4_012, false, 10_000))).toBe(
      'mail: 50 shown of at least 4012 dead letters of type send (counted over the newest 10000 of 50000 in the queue; --scan to count over more)',
    );
  });
});
