import { HandlerPool } from './handler-pool';
import { Gate } from './testing/event-test-helpers';

describe('HandlerPool', () => {
  it('runs at most `workers` jobs, buffers `bufferSize`, drops the rest under "drop"', async () => {
    const pool = new HandlerPool({ workers: 2, bufferSize: 3, policy: 'drop' });
    const gate = new Gate();
    let ran = 0;
    const job = async () => {
      await gate.promise;
      ran++;
    };
    const accepted = await Promise.all(Array.from({ length: 8 }, () => pool.submit(job)));
    expect(accepted.filter(Boolean)).toHaveLength(5);
    expect({ running: pool.running, buffered: pool.buffered, dropped: pool.dropped, free: pool.free }).toEqual({
      running: 2,
      buffered: 3,
      dropped: 3,
      free: 0,
    });
    gate.open();
    expect(await pool.close(1000)).toBe(0);
    expect(ran).toBe(5);
  });

  it('"hold" waits for space like "wait" without the cap on waiting producers (the stream bus bounds its read-ahead itself)', async () => {
    const pool = new HandlerPool({ workers: 1, bufferSize: 1, policy: 'drop' });
    const gate = new Gate();
    const order: number[] = [];
    const results = Array.from({ length: 6 }, (_, i) =>
      pool.submit(async () => {
        await gate.promise;
        order.push(i);
      }, 'hold'),
    );
    expect({ running: pool.running, buffered: pool.buffered, free: pool.free }).toEqual({ running: 1, buffered: 1, free: 0 });
    gate.open();
    expect(await Promise.all(results)).toEqual([true, true, true, true, true, true]);
    expect(await pool.close(1000)).toBe(0);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(pool.dropped).toBe(0);
  });

  it('"wait" holds producers until there is space, at most bufferSize of them; later ones are dropped', async () => {
    const pool = new HandlerPool({ workers: 1, bufferSize: 2, policy: 'wait' });
    const gate = new Gate();
    const order: number[] = [];
    const job = (n: number) => async () => {
      await gate.promise;
      order.push(n);
    };
    const results = Array.from({ length: 6 }, (_, i) => pool.submit(job(i)));
    // 1 running + 2 buffered + 2 waiting producers; the sixth is dropped.
    await expect(results[5]).resolves.toBe(false);
    let waitingSettled = false;
    void Promise.all([results[3], results[4]]).then(() => (waitingSettled = true));
    await new Promise((r) => setImmediate(r));
    expect(waitingSettled).toBe(false);
    expect(pool.dropped).toBe(1);
    gate.open();
    expect(await Promise.all(results)).toEqual([true, true, true, true, true, false]);
    await pool.close(1000);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('a throwing job frees its worker; close reports unfinished jobs after the timeout', async () => {
    const pool = new HandlerPool({ workers: 1, bufferSize: 5, policy: 'wait' });
    await pool.submit(async () => {
      throw new Error('isolated');
    });
    let second = false;
    await pool.submit(async () => void (second = true));
    await new Promise((r) => setImmediate(r));
    expect(second).toBe(true);
    await pool.submit(() => new Promise(() => undefined));
    await pool.submit(async () => undefined);
    expect(await pool.close(20)).toBe(2);
    expect(await pool.submit(async () => undefined)).toBe(false);
  });
});
