import { COMPARE_AND_SET_LUA, compareAndSetArgs } from './compare-and-set';

/** The indices of `KEYS[n]` / `ARGV[n]` on the lines of a text. */
const indices = (text: string, name: 'KEYS' | 'ARGV', linePattern: RegExp) =>
  text
    .split('\n')
    .map((line) => linePattern.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && m[1] === name)
    .map((m) => Number(m[2]));

describe('compare-and-set script', () => {
  const end = COMPARE_AND_SET_LUA.indexOf(']]');
  const header = COMPARE_AND_SET_LUA.slice(0, end);
  const body = COMPARE_AND_SET_LUA.slice(end + 2);
  const declared = (name: 'KEYS' | 'ARGV') => indices(header, name, /^\s*(KEYS|ARGV)\[(\d+)\]\s+\S/);
  const used = (name: 'KEYS' | 'ARGV') => [...new Set([...body.matchAll(new RegExp(`${name}\\[(\\d+)\\]`, 'g'))].map((m) => Number(m[1])))].sort();

  it('opens with a header listing KEYS and ARGV (in order, with the key type) and the reply, as the library scripts do', () => {
    expect(COMPARE_AND_SET_LUA.startsWith('--[[\n')).toBe(true);
    expect(header).toMatch(/\n\s*Input:\n/);
    expect(header).toMatch(/\n\s*Output:\n/);
    expect(header).toMatch(/^\s*KEYS\[1\]\s+record\s+hash\b/m);
    expect(declared('KEYS')).toEqual([1]);
    expect(declared('ARGV')).toEqual([1, 2, 3]);
  });

  it('uses exactly the declared KEYS and ARGV, and the caller passes them in the header order', () => {
    expect(used('KEYS')).toEqual(declared('KEYS'));
    expect(used('ARGV')).toEqual(declared('ARGV'));
    // numkeys, KEYS[1] the record, ARGV[1] the seq read, ARGV[2] the new seq, ARGV[3] the document
    expect(compareAndSetArgs('mq:meeting:{m}', '4', 5, '{"seq":5}')).toEqual([declared('KEYS').length, 'mq:meeting:{m}', '4', '5', '{"seq":5}']);
    expect(compareAndSetArgs('k', '1', 2, 'd')).toHaveLength(1 + declared('KEYS').length + declared('ARGV').length);
  });
});
