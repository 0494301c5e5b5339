import { readLuaHeader } from './lua-header';

describe('readLuaHeader', () => {
  it('reads the KEYS/ARGV lines of the header in order and the indices the body uses, once each, ascending', () => {
    const script = [
      '--[[',
      '  Input:',
      '    KEYS[2] b  hash',
      '    KEYS[1] a  list',
      '',
      '    ARGV[1] x',
      ']]',
      'return {KEYS[1], ARGV[12], ARGV[2], KEYS[1]}',
    ].join('\n');
    const read = readLuaHeader(script);
    expect(read.opensWithHeader).toBe(true);
    expect(read.declared).toEqual({ KEYS: [2, 1], ARGV: [1] });
    expect(read.used).toEqual({ KEYS: [1], ARGV: [2, 12] });
    expect(read.body).toBe('\nreturn {KEYS[1], ARGV[12], ARGV[2], KEYS[1]}');
  });

  it('finds no header in a script that has none', () => {
    const read = readLuaHeader('return KEYS[1]');
    expect(read).toMatchObject({ opensWithHeader: false, header: '', declared: { KEYS: [], ARGV: [] }, used: { KEYS: [1], ARGV: [] } });
  });
});
