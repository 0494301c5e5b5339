import { Deadlines } from './deadlines';

const never = <T>() => new Promise<T>(() => undefined);

describe('Deadlines', () => {
  it('passes results and errors through, and rejects calls still pending after the bound, oldest first, with the time waited', async () => {
    const deadlines = new Deadlines(50);
    const timeout = (waitedMs: number) => Object.assign(new Error('timeout'), { waitedMs });
    await expect(deadlines.bound(Promise.resolve(1), timeout)).resolves.toBe(1);
    await expect(deadlines.bound(Promise.reject(new Error('bad')), timeout)).rejects.toThrow('bad');
    const order: string[] = [];
    type Timeout = Error & { waitedMs: number };
    const first = deadlines.bound(never<Timeout>(), timeout).catch((e: Timeout) => (order.push('first'), e));
    const second = deadlines.bound(never<Timeout>(), timeout).catch((e: Timeout) => (order.push('second'), e));
    let release!: (v: number) => void;
    const answered = deadlines.bound(new Promise<number>((resolve) => (release = resolve)), timeout);
    expect(deadlines.size).toBe(3);
    release(7);
    await expect(answered).resolves.toBe(7);
    expect((await first).waitedMs).toBeGreaterThanOrEqual(50);
    expect((await second).waitedMs).toBeGreaterThanOrEqual(50);
    expect(order).toEqual(['first', 'second']);
    expect(deadlines.size).toBe(0);
  });

  it('a late answer after the timeout changes nothing', async () => {
    const deadlines = new Deadlines(20);
    let release!: (v: number) => void;
    const call = deadlines.bound(new Promise<number>((resolve) => (release = resolve)), () => new Error('timed out'));
    await expect(call).rejects.toThrow('timed out');
    release(1);
    await expect(call).rejects.toThrow('timed out');
    expect(deadlines.size).toBe(0);
  });
});
