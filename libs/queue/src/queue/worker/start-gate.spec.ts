import { HandlerRun } from './handler-run';
import type { HandlerSlot } from './handler-slot';
import { StartGate } from './start-gate';
import { resolveQueueOptions } from '../queue-options';

const LOW = 3;
const ALL_LOW = 1 << LOW;

/**
 * A gate over one handler of `concurrency` slots, `running` of them busy, with one low run waiting,
 * its handlers averaging `runMs`.
 */
function gate(concurrency: number, runMs: number, running = 0): StartGate {
  const waiting: HandlerSlot['waiting'] = [[], [], [], [{} as HandlerRun]];
  const slots = new Map<string, HandlerSlot>([['t', { fn: async () => undefined, concurrency, timeoutMs: 0, running, waiting }]]);
  const g = new StartGate(slots, resolveQueueOptions({ name: 'gate-spec' }));
  g.capacity = concurrency;
  for (let i = 0; i < 50; i++) g.ran(runMs);
  return g;
}

describe('StartGate', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('handlers of about 1 ms: a reply is current for 0.5 ms, so a slot freed after one run looks before it starts a low', () => {
    const g = gate(1, 1);
    g.replied(ALL_LOW, g.lookSent());
    jest.advanceTimersByTime(0.4);
    expect(g.mayStart(LOW)).toBe(true);
    jest.advanceTimersByTime(0.4);
    // 0.8 ms after the reply: a critical published since may wait in the store
    expect(g.mayStart(LOW)).toBe(false);
    expect(g.needsCheck(1)).toBe(true);
    // nothing outranks a critical: only the budget applies
    expect(g.mayStart(0)).toBe(true);
  });

  it('no-op handlers: the budget bounds the starts, and a reply stays current for 2 ms', () => {
    const g = gate(1, 0.01);
    g.replied(ALL_LOW, g.lookSent());
    jest.advanceTimersByTime(1.5);
    expect(g.mayStart(LOW)).toBe(true);
    jest.advanceTimersByTime(1);
    expect(g.mayStart(LOW)).toBe(false);
  });

  it('concurrency 1, handlers of 1 ms: no look goes out at a start (its reply would be out of date when the slot frees)', () => {
    const g = gate(1, 1, 1);
    g.replied(ALL_LOW, g.lookSent());
    g.started();
    expect(g.needsCheck(1)).toBe(false);
    jest.advanceTimersByTime(0.3);
    expect(g.needsCheck(1)).toBe(false);
  });

  it('concurrency 10, handlers of 1 ms: a look goes out while they run, once the reply is half its freshness old', () => {
    const g = gate(10, 1, 10);
    g.replied(ALL_LOW, g.lookSent());
    g.started();
    expect(g.needsCheck(1)).toBe(false);
    jest.advanceTimersByTime(0.3);
    expect(g.needsCheck(1)).toBe(true);
    // sent: no second look until the next start
    g.lookSent();
    expect(g.needsCheck(1)).toBe(false);
  });

  it('a spent budget stops lower tiers and critical runs alike until a look is sent after the starts', () => {
    const g = gate(2, 1);
    g.replied(ALL_LOW, g.lookSent());
    g.started();
    g.started();
    expect(g.mayStart(LOW)).toBe(false);
    expect(g.mayStart(0)).toBe(false);
    g.replied(ALL_LOW, g.lookSent());
    expect(g.mayStart(LOW)).toBe(true);
  });

  it('strict mode: a low does not start while the newest reply shows a higher tier in the store', () => {
    const g = gate(1, 1);
    g.replied(ALL_LOW | 1, g.lookSent());
    expect(g.storeTop).toBe(0);
    expect(g.mayStart(LOW)).toBe(false);
    expect(g.hasOutranked(1)).toBe(true);
  });
});
