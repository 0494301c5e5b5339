import { partitionOf } from './partition';

describe('partitionOf', () => {
  it('is stable, in range, and spreads keys over every partition', () => {
    expect(partitionOf('meeting-1', 1)).toBe(0);
    // FNV-1a 32 of "a" is 0xe40c292c
    expect(partitionOf('a', 1000)).toBe(0xe40c292c % 1000);
    const counts = new Array<number>(4).fill(0);
    for (let i = 0; i < 4000; i++) counts[partitionOf(`meeting-${i}`, 4)]++;
    expect(counts.every((n) => n > 800 && n < 1200)).toBe(true);
    expect(partitionOf('meeting-7', 4)).toBe(partitionOf('meeting-7', 4));
  });
});
