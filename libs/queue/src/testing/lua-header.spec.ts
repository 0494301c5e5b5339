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

describe('readLuaHeader ranges and computed reads', () => {
  const script = [
    '--[[',
    '  Reads KEYS[9] only in this prose (not a declaration).',
    '',
    '  Input:',
    '    KEYS[1..4] tier lists',
    '    KEYS[5]    msgs  hash',
    '    KEYS[6..]  extra keys',
    '    ARGV[1]    n',
    '    ARGV[2]    spare (unused: kept for older callers)',
    '    then 2 per item: id, body',
    '    ARGV[3 + n] not a declaration form',
    '',
    '  Output:',
    '    ARGV[1] may be 0 (prose of the output, not a declaration)',
    ']]',
    'local tiers = {KEYS[1], KEYS[2]} -- KEYS[40] in a comment',
    "local s = 'ARGV[41] in a string' .. KEYS[5 + t] .. #ARGV",
    '--[[ KEYS[42] in a block comment ]]',
    'for i = 1, #ARGV do local x = ARGV[2 + i * 2] end',
    'return {unpack(ARGV, 3)}, ipairs(KEYS), ARGV[1]',
  ].join('\n');
  const read = readLuaHeader(script);

  it('reads KEYS[a..b] and KEYS[a..] lines of the Input section, `then` lines, `(unused` marks and lines of another form', () => {
    expect(read.declared).toEqual({ KEYS: [1, 2, 3, 4, 5], ARGV: [1, 2] });
    expect(read.entries).toEqual([
      { name: 'KEYS', from: 1, to: 4, text: 'tier lists', unused: false },
      { name: 'KEYS', from: 5, to: 5, text: 'msgs  hash', unused: false },
      { name: 'KEYS', from: 6, to: null, text: 'extra keys', unused: false },
      { name: 'ARGV', from: 1, to: 1, text: 'n', unused: false },
      { name: 'ARGV', from: 2, to: 2, text: 'spare (unused: kept for older callers)', unused: true },
    ]);
    expect(read.tail).toEqual({ KEYS: null, ARGV: 'then 2 per item: id, body' });
    expect(read.malformed).toEqual(['ARGV[3 + n] not a declaration form']);
  });

  it('reads literal and computed reads of the code, not of comments or strings; #ARGV is no read', () => {
    expect(read.used).toEqual({ KEYS: [1, 2], ARGV: [1] });
    expect(read.computed).toEqual({ KEYS: ['5 + t', '*'], ARGV: ['2 + i * 2', '3..'] });
  });
});
