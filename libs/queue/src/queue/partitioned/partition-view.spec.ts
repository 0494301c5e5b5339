import type { FetchResult } from '../queue-store';
import { partitionLimits, PartitionView } from './partition-view';

const reply = (tiersLeft: number, nextWakeMs: number | null = null, paused = false): FetchResult => ({ deliveries: [], paused, nextWakeMs, tiersLeft });
const CRITICAL = 1;
const LOW = 8;

describe('partition view', () => {
  it('before any reply, every partition shares the messages evenly (sum = max)', () => {
    const view = new PartitionView(4);
    const shares = view.shares(10, null, 0, [0, 1, 2, 3]);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(10);
    expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
  });

  it('strict: only the partitions holding the highest tier anywhere are asked for messages', () => {
    const view = new PartitionView(3);
    view.note(0, reply(LOW));
    view.note(1, reply(CRITICAL | LOW));
    view.note(2, reply(0));
    expect(view.shares(5, null, 0, [0, 1, 2])).toEqual([0, 5, 0]);
    expect(view.combined([], []).tiersLeft).toBe(CRITICAL | LOW);
  });

  it('weighted: draws over the union of tiers go to partitions holding the drawn tier, in proportion to the weights', () => {
    const view = new PartitionView(2);
    view.note(0, reply(LOW));
    view.note(1, reply(CRITICAL));
    const shares = view.shares(900, [8, 4, 2, 1], 0.3, [0, 1]);
    expect(shares[0] + shares[1]).toBe(900);
    expect(shares[1] / 900).toBeCloseTo(8 / 9, 1);
  });

  it('the combined reply: paused when any partition is, the soonest due time of any partition', () => {
    const view = new PartitionView(2);
    view.note(0, reply(0, 5000));
    view.note(1, reply(LOW, 200));
    const combined = view.combined([], []);
    expect(combined.nextWakeMs).toBeLessThanOrEqual(200);
    expect(combined.paused).toBe(false);
    view.note(0, reply(0, null, true));
    expect(view.combined([], [])).toMatchObject({ paused: true, tiersLeft: 0 });
  });

  it('a due time still to come is not hidden by a reply that says later or never (replies of two connections arrive out of order)', () => {
    const view = new PartitionView(2);
    view.note(0, reply(0, 300));
    // an older reply, run by Redis before the retry was scheduled, processed after the newer one
    view.note(0, reply(0, 30_000));
    expect(view.combined([], []).nextWakeMs).toBeLessThanOrEqual(300);
    view.note(0, reply(0, null));
    expect(view.combined([], []).nextWakeMs).toBeLessThanOrEqual(300);
    // a sooner one replaces it
    view.note(0, reply(0, 50));
    expect(view.combined([], []).nextWakeMs).toBeLessThanOrEqual(50);
  });

  it('a due time that has passed is replaced by the next reply', () => {
    const view = new PartitionView(1);
    view.note(0, reply(0, 0));
    view.note(0, reply(0, null));
    expect(view.combined([], []).nextWakeMs).toBeNull();
    view.note(0, reply(0, 5000));
    expect(view.combined([], []).nextWakeMs).toBeGreaterThan(4000);
  });

  it('rate limits split over the partitions keep the rate', () => {
    const [limit] = partitionLimits([{ name: 'speech', max: 10, perMs: 1000 }], 4);
    expect(limit).toEqual({ name: 'speech', max: 3, perMs: 1200 });
    expect((4 * limit.max) / limit.perMs).toBeCloseTo(10 / 1000, 6);
  });
});
