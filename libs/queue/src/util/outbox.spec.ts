import { OutboxFullError } from '../errors';
import { OUTBOX_BATCH_CHARS, Outbox } from './outbox';

describe('Outbox', () => {
  it('sends in order, in batches cut by size and by sameBatch', async () => {
    const outbox = new Outbox<{ ch: string; n: number }>(100);
    outbox.add([
      { ch: 'a', n: 1 },
      { ch: 'a', n: 2 },
      { ch: 'a', n: 3 },
      { ch: 'b', n: 4 },
      { ch: 'a', n: 5 },
    ]);
    const batches: number[][] = [];
    const sent = await outbox.flush(async (batch) => void batches.push(batch.map((i) => i.n)), {
      batchSize: 2,
      sameBatch: (x, y) => x.ch === y.ch,
    });
    expect(sent).toBe(5);
    expect(batches).toEqual([[1, 2], [3], [4], [5]]);
    expect(outbox.size).toBe(0);
  });

  it('cuts batches by summed characters, a larger item alone, with the default limit when none is given', async () => {
    const outbox = new Outbox<string>(100);
    outbox.add(['aaaa', 'bb', 'cc', 'dddddddddd', 'e', 'f']);
    const batches: string[][] = [];
    await outbox.flush(async (batch) => void batches.push(batch), { sizeOf: (s) => s.length, maxChars: 6 });
    expect(batches).toEqual([['aaaa', 'bb'], ['cc'], ['dddddddddd'], ['e', 'f']]);
    const big = new Outbox<number>(100);
    const half = OUTBOX_BATCH_CHARS / 2;
    big.add([half, half, 1, half]);
    const sizes: number[][] = [];
    await big.flush(async (batch) => void sizes.push(batch), { sizeOf: (n) => n });
    expect(sizes).toEqual([
      [half, half],
      [1, half],
    ]);
  });

  it('takes 500,000 items in one add, in order, and refuses a larger batch whole', async () => {
    const outbox = new Outbox<number>(500_000);
    outbox.add(Array.from({ length: 500_000 }, (_, i) => i));
    expect(outbox.size).toBe(500_000);
    expect(() => outbox.add([0])).toThrow(OutboxFullError);
    const all = outbox.takeAll();
    expect(all).toHaveLength(500_000);
    expect(all.every((n, i) => n === i)).toBe(true);
    expect(() => new Outbox<number>(10).add(Array.from({ length: 300_000 }, () => 0))).toThrow(OutboxFullError);
  });

  it('keeps the failed batch at the head and rethrows; the next flush resumes from it', async () => {
    const outbox = new Outbox<number>(10);
    outbox.add([1, 2, 3]);
    const seen: number[] = [];
    let fail = true;
    const send = async (batch: number[]) => {
      if (batch[0] === 2 && fail) throw new Error('connection lost');
      seen.push(...batch);
    };
    await expect(outbox.flush(send, { batchSize: 1 })).rejects.toThrow('connection lost');
    expect(outbox.size).toBe(2);
    fail = false;
    await outbox.flush(send, { batchSize: 1 });
    expect(seen).toEqual([1, 2, 3]);
  });

  it('rejects with OutboxFullError naming the limit, all or nothing', () => {
    const outbox = new Outbox<number>(3, 'test outbox');
    outbox.add([1, 2]);
    expect(() => outbox.add([3, 4])).toThrow(OutboxFullError);
    expect(() => outbox.add([3, 4])).toThrow(/test outbox is full \(3 items/);
    expect(outbox.size).toBe(2);
    outbox.add([3]);
    try {
      outbox.add([4]);
      throw new Error('expected a throw');
    } catch (error) {
      expect(error).toMatchObject({ code: 'OUTBOX_FULL', maxSize: 3 });
    }
    expect(outbox.takeAll()).toEqual([1, 2, 3]);
    expect(outbox.size).toBe(0);
  });

  it('shares one flush between concurrent callers and sends items added meanwhile', async () => {
    const outbox = new Outbox<number>(10);
    outbox.add([1]);
    const seen: number[] = [];
    let release!: () => void;
    const first = outbox.flush(async (batch) => {
      if (batch[0] === 1) await new Promise<void>((r) => (release = r));
      seen.push(...batch);
    });
    outbox.add([2]);
    const second = outbox.flush(async () => {
      throw new Error('not called');
    });
    release();
    expect(await first).toBe(2);
    expect(await second).toBe(2);
    expect(seen).toEqual([1, 2]);
  });
});
