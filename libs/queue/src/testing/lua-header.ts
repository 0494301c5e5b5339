/**
 * A headed Lua script taken apart, for the spec that checks a script against its header (the
 * library's convention: `--[[ ... Input: KEYS[n] ... ARGV[n] ... Output: ... ]]`, then the body).
 */
export interface LuaHeader {
  /** Whether the script opens with `--[[` on a line of its own. */
  opensWithHeader: boolean;
  /** The opening comment (up to its `]]`). */
  header: string;
  /** The code after the header. */
  body: string;
  /** The indices of the `KEYS[n]` / `ARGV[n]` lines of the header, in the header's order (`KEYS[a..b]` ranges are not read). */
  declared: { KEYS: number[]; ARGV: number[] };
  /** The indices of `KEYS[n]` / `ARGV[n]` the body uses, each once, ascending. */
  used: { KEYS: number[]; ARGV: number[] };
}

/** Reads a script's header and what its body uses (see {@link LuaHeader}). */
export function readLuaHeader(source: string): LuaHeader {
  const end = source.indexOf(']]');
  const header = end < 0 ? '' : source.slice(0, end);
  const body = end < 0 ? source : source.slice(end + 2);
  const declared = (name: 'KEYS' | 'ARGV') => [...header.matchAll(new RegExp(`^\\s*${name}\\[(\\d+)\\]\\s+\\S`, 'gm'))].map((m) => Number(m[1]));
  const used = (name: 'KEYS' | 'ARGV') =>
    [...new Set([...body.matchAll(new RegExp(`${name}\\[(\\d+)\\]`, 'g'))].map((m) => Number(m[1])))].sort((a, b) => a - b);
  return {
    opensWithHeader: source.startsWith('--[[\n'),
    header,
    body,
    declared: { KEYS: declared('KEYS'), ARGV: declared('ARGV') },
    used: { KEYS: used('KEYS'), ARGV: used('ARGV') },
  };
}
