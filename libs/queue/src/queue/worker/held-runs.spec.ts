import { HandlerRun } from './handler-run';
import { HeldRuns } from './held-runs';
import type { QueueMessage } from '../queue.types';

function run(id: string, lease = 'L'): HandlerRun {
  const message: QueueMessage = { id, type: 't', payload: null, priority: 'normal', attempt: 1, maxRetries: 0, timeoutMs: 0, createdAt: 0 };
  return new HandlerRun(
    message,
    lease,
    async () => undefined,
    () => undefined,
  );
}

describe('HeldRuns', () => {
  it('holds runs in arrival order and removes any of them (head, middle, tail), counting them', () => {
    const held = new HeldRuns();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((id) => run(id));
    for (const r of [a, b, c, d]) held.add(r);
    expect(held.size).toBe(4);
    expect(held.remove(b)).toBe(true);
    expect(held.remove(a)).toBe(true);
    expect(held.remove(d)).toBe(true);
    expect(held.values().map((r) => r.id)).toEqual(['c']);
    expect(held.remove(d)).toBe(false);
    expect(held.size).toBe(1);
    held.add(a);
    expect(held.values().map((r) => r.id)).toEqual(['c', 'a']);
  });

  it('tells two runs of the same id apart (a redelivery held while the lost one still runs)', () => {
    const held = new HeldRuns();
    const lost = run('m1', 'lease-1');
    const again = run('m1', 'lease-2');
    held.add(lost);
    held.add(again);
    held.add(again);
    expect(held.size).toBe(2);
    expect(held.remove(lost)).toBe(true);
    expect(held.values()).toEqual([again]);
    expect(again.held).toBe(true);
    expect(lost.held).toBe(false);
  });

  it('leaves no link from a removed run to the others, and clear() returns every run unlinked', () => {
    const held = new HeldRuns();
    const runs = Array.from({ length: 5 }, (_, i) => run(`r${i}`));
    for (const r of runs) held.add(r);
    held.remove(runs[2]);
    expect([runs[2].heldPrev, runs[2].heldNext]).toEqual([null, null]);
    const cleared = held.clear();
    expect(cleared.map((r) => r.id)).toEqual(['r0', 'r1', 'r3', 'r4']);
    expect(cleared.every((r) => !r.held && r.heldPrev === null && r.heldNext === null)).toBe(true);
    expect(held.size).toBe(0);
    expect(held.values()).toEqual([]);
    for (let i = 0; i < 1000; i++) {
      const r = run(`x${i}`);
      held.add(r);
      if (i % 3 !== 0) held.remove(r);
    }
    expect(held.size).toBe(334);
    expect(held.values()).toHaveLength(334);
  });
});
