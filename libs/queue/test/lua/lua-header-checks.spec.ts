import { readLuaHeader } from '../../src/testing/lua-header';
import { headerProblems, includeNeeds } from './lua-header-checks';
import { keyOrderProblems } from './ts-key-order';

/** A script with the given Input lines and body. */
function script(input: string[], body: string): string {
  return ['--[[', '  Input:', ...input.map((l) => `    ${l}`), '', '  Output:', '    1', ']]', body].join('\n');
}

describe('headerProblems', () => {
  it('accepts ranges read through offsets, unpack and open tails, and lines marked unused', () => {
    const source = script(
      ['KEYS[1..4] tier lists', 'KEYS[5] msgs hash', 'ARGV[1] n', 'ARGV[2] old (unused: older callers)', 'ARGV[3..] ids'],
      'for t = 1, 4 do redis.call("LLEN", KEYS[t]) end\nreturn {KEYS[5], ARGV[1], unpack(ARGV, 3)}',
    );
    expect(headerProblems(source)).toEqual([]);
    expect(headerProblems(script(['KEYS[1] a', 'ARGV[1] n', 'then 2 per item'], 'return {KEYS[1], ARGV[1], ARGV[1 + 2 * i]}'))).toEqual([]);
  });

  it('names a missing header, undeclared and unread indices, gaps, repeats and reads no line covers', () => {
    expect(headerProblems('return KEYS[1]')).toEqual(['does not open with a `--[[` header']);
    expect(headerProblems(script(['KEYS[1] a', 'KEYS[3] c', 'KEYS[3] c again'], 'return {KEYS[1], KEYS[2], KEYS[3]}'))).toEqual([
      'header declares KEYS[3] where KEYS[2] comes next (in order, no gaps or repeats)',
      'header declares KEYS[3] where KEYS[4] comes next (in order, no gaps or repeats)',
      'code reads KEYS[2], which the header does not declare',
    ]);
    expect(headerProblems(script(['KEYS[1..2] pair', 'ARGV[1] n', 'ARGV[2] x'], 'return {KEYS[1], ARGV[1], ARGV[1 + 2 * i]}'))).toEqual([
      'header declares KEYS[1..2] but the code does not read KEYS[2]',
      'code reads ARGV[1 + 2 * i] but the header declares no range or `then` line it could fall in',
      'header declares ARGV[2] but the code does not read ARGV[2]',
    ]);
    expect(headerProblems(script(['ARGV[1..] ids', 'ARGV[14 + 3n] last'], 'return ARGV[1]'))).toEqual([
      'header line "ARGV[14 + 3n] last" is not KEYS[n], KEYS[a..b] or KEYS[a..] (same for ARGV)',
    ]);
  });
});

describe('includeNeeds', () => {
  it('lists the names of the Needs sentence the include reads without defining them', () => {
    const include = [
      '-- Helper. Needs: tiers (array of 4 keys), msgs key, the tier-push and groups includes.',
      'local function f(i) return redis.call("HGET", msgs, tiers[i]) end',
    ];
    expect(includeNeeds(include.join('\n'))).toEqual(['tiers', 'msgs']);
  });
});

describe('keyOrderProblems', () => {
  const entries = readLuaHeader(
    script(['KEYS[1..4] tier lists', 'KEYS[5] msgs hash', 'KEYS[6] reply list (optional)', 'KEYS[7..] idempotency keys'], ''),
  ).entries;
  const ref = (name: string, spread = false, pushed = false) => ({ name, spread, pushed });

  it('accepts keys in header order, optional and open-range keys pushed later', () => {
    expect(keyOrderProblems([ref('tiers', true), ref('msgs')], entries)).toEqual([]);
    expect(
      keyOrderProblems([ref('tiers', true), ref('msgs'), ref('reply', false, true), ref('idempotency', false, true), ref('idempotency', false, true)], entries),
    ).toEqual([]);
  });

  it('names a key on the wrong line, a spread on a single line and a line no key reaches', () => {
    expect(keyOrderProblems([ref('msgs'), ref('tiers', true)], entries)).toEqual([
      'key 1 (msgs) falls on "KEYS[1..4] tier lists"',
      'key 2 (...tiers) falls on "KEYS[5] msgs hash"',
    ]);
    expect(keyOrderProblems([ref('tiers'), ref('msgs', true)], entries.slice(1))).toEqual([
      'key 1 (tiers) falls on "KEYS[5] msgs hash"',
      'key 2 (...msgs) falls on "KEYS[6] reply list (optional)"',
    ]);
    expect(keyOrderProblems([ref('msgs', true)], entries.slice(1, 2))).toEqual(['key 1 (...msgs) is several keys but falls on the single "KEYS[5] msgs hash"']);
    expect(keyOrderProblems([ref('tiers', true)], entries)).toEqual(['header declares KEYS[5] msgs hash but the call passes no key for it']);
  });
});
