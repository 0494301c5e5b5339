import { readLuaHeader } from '@meeting/queue/testing';
import { COMPARE_AND_SET_LUA, compareAndSetArgs } from './compare-and-set';

describe('compare-and-set script', () => {
  const { opensWithHeader, header, declared, used } = readLuaHeader(COMPARE_AND_SET_LUA);

  it('opens with a header listing KEYS and ARGV (in order, with the key type) and the reply, as the library scripts do', () => {
    expect(opensWithHeader).toBe(true);
    expect(header).toMatch(/\n\s*Input:\n/);
    expect(header).toMatch(/\n\s*Output:\n/);
    expect(header).toMatch(/^\s*KEYS\[1\]\s+record\s+hash\b/m);
    expect(declared.KEYS).toEqual([1]);
    expect(declared.ARGV).toEqual([1, 2, 3]);
  });

  it('uses exactly the declared KEYS and ARGV, and the caller passes them in the header order', () => {
    expect(used.KEYS).toEqual(declared.KEYS);
    expect(used.ARGV).toEqual(declared.ARGV);
    // numkeys, KEYS[1] the record, ARGV[1] the seq read, ARGV[2] the new seq, ARGV[3] the document
    expect(compareAndSetArgs('mq:meeting:{m}', '4', 5, '{"seq":5}')).toEqual([declared.KEYS.length, 'mq:meeting:{m}', '4', '5', '{"seq":5}']);
    expect(compareAndSetArgs('k', '1', 2, 'd')).toHaveLength(1 + declared.KEYS.length + declared.ARGV.length);
  });
});
