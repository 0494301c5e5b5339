import { IdTable } from './id-table';

describe('IdTable', () => {
  it('adds, replaces, reads and removes entries by id, counting them', () => {
    const table = new IdTable<{ n: number }>();
    const a = { n: 1 };
    table.set('a', a);
    table.set('b', { n: 2 });
    table.set('a', { n: 3 });
    expect(table.size).toBe(2);
    expect(table.get('a')).toEqual({ n: 3 });
    expect(table.get('missing')).toBeUndefined();
    expect(table.delete('a')).toBe(true);
    expect(table.delete('a')).toBe(false);
    expect(table.size).toBe(1);
    expect(table.values()).toEqual([{ n: 2 }]);
  });

  it('takes any id, those that name Object.prototype members and array indexes included', () => {
    const table = new IdTable<string>();
    for (const id of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '0', '42', '']) table.set(id, `v${id}`);
    expect(table.size).toBe(7);
    expect(table.get('__proto__')).toBe('v__proto__');
    expect(table.get('constructor')).toBe('vconstructor');
    expect(table.get('valueOf')).toBeUndefined();
    expect(table.values().sort()).toEqual(['v', 'v0', 'v42', 'v__proto__', 'vconstructor', 'vhasOwnProperty', 'vtoString'].sort());
    expect(table.delete('__proto__')).toBe(true);
    expect(table.get('__proto__')).toBeUndefined();
    expect(table.size).toBe(6);
  });

  it('keeps its count through heavy churn and empties on clear; values() is a snapshot', () => {
    const table = new IdTable<number>();
    for (let i = 0; i < 10_000; i++) {
      table.set(`id${i}`, i);
      if (i >= 64) table.delete(`id${i - 64}`);
    }
    expect(table.size).toBe(64);
    expect(table.values()).toEqual(Array.from({ length: 64 }, (_, k) => 10_000 - 64 + k));
    const snapshot = table.values();
    table.clear();
    expect(table.size).toBe(0);
    expect(table.get('id9999')).toBeUndefined();
    expect(snapshot).toHaveLength(64);
  });
});
