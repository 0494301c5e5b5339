/** `KEYS` or `ARGV`. */
export type LuaArray = 'KEYS' | 'ARGV';

/**
 * One line of a header's Input section that starts with `KEYS[n]`, `KEYS[a..b]` or `KEYS[a..]`
 * (same for ARGV). A description containing `(unused` or `(reserved` marks indices the body may
 * leave alone (passed for a caller's or a later version's sake).
 */
export interface LuaHeaderEntry {
  name: LuaArray;
  /** First index of the line. */
  from: number;
  /** Last index; `null` for an open range (`ARGV[4..]`: everything from 4 on). */
  to: number | null;
  /** The rest of the line (name, type, description). */
  text: string;
  /** The description says the indices are unused or reserved. */
  unused: boolean;
}

/**
 * A headed Lua script taken apart, for the spec that checks a script against its header (the
 * library's convention: `--[[ ... Input: KEYS[n] ... ARGV[n] ... Output: ... ]]`, then the body).
 * Declarations are read from the Input section (between `Input:` and `Output:`) when the header has
 * one, else from the whole header.
 */
export interface LuaHeader {
  /** Whether the script opens with `--[[` on a line of its own. */
  opensWithHeader: boolean;
  /** The opening comment (up to its `]]`). */
  header: string;
  /** The code after the header. */
  body: string;
  /**
   * The indices the header's `KEYS[n]` / `ARGV[n]` lines name, in the header's order; a closed
   * range `KEYS[a..b]` gives a, ..., b. Open ranges (`ARGV[4..]`) are only in {@link entries}.
   */
  declared: { KEYS: number[]; ARGV: number[] };
  /** Every declaration line of the Input section, in the header's order. */
  entries: LuaHeaderEntry[];
  /**
   * The text of a `then ...` line after the last declaration of an array (how many more values
   * follow and their layout, e.g. `then 2 per delivery: id, lease token`); `null` when none.
   */
  tail: { KEYS: string | null; ARGV: string | null };
  /** Input lines that start with `KEYS[` / `ARGV[` but not in one of the forms above (e.g. `ARGV[14 + 3n]`). */
  malformed: string[];
  /** The literal indices `KEYS[n]` / `ARGV[n]` the body's code (comments and strings left out) uses, once each, ascending. */
  used: { KEYS: number[]; ARGV: number[] };
  /**
   * The body's other reads of the arrays, in order of appearance: the index expression of
   * `KEYS[expr]` (`'8 + t'`), `'n..'` for `unpack(ARGV, n)`, `'*'` for the array used whole
   * (`ipairs(ARGV)`, `unpack(ARGV)`, passed as a value). `#ARGV` (a length) is not a read.
   */
  computed: { KEYS: string[]; ARGV: string[] };
}

const ENTRY = /^\s*(KEYS|ARGV)\[(\d+)(?:\.\.(\d*))?\](.*)$/;

/** Reads a script's header and what its body uses (see {@link LuaHeader}). */
export function readLuaHeader(source: string): LuaHeader {
  const end = source.startsWith('--[[') ? source.indexOf(']]') : -1;
  const header = end < 0 ? '' : source.slice(0, end);
  const body = end < 0 ? source : source.slice(end + 2);
  const { entries, tail, malformed } = readInput(inputSection(header));
  const declared = (name: LuaArray) =>
    entries.filter((e) => e.name === name).flatMap((e) => (e.to === null ? [] : Array.from({ length: e.to - e.from + 1 }, (_, i) => e.from + i)));
  const code = luaCode(body);
  return {
    opensWithHeader: source.startsWith('--[[\n'),
    header,
    body,
    declared: { KEYS: declared('KEYS'), ARGV: declared('ARGV') },
    entries,
    tail,
    malformed,
    used: { KEYS: literalUses(code, 'KEYS'), ARGV: literalUses(code, 'ARGV') },
    computed: { KEYS: computedUses(code, 'KEYS'), ARGV: computedUses(code, 'ARGV') },
  };
}

function inputSection(header: string): string {
  const input = /^\s*Input:\s*$/m.exec(header);
  if (!input) return header;
  const rest = header.slice(input.index + input[0].length);
  const output = /^\s*Output:\s*$/m.exec(rest);
  return output ? rest.slice(0, output.index) : rest;
}

function readInput(input: string): Pick<LuaHeader, 'entries' | 'tail' | 'malformed'> {
  const entries: LuaHeaderEntry[] = [];
  const tail: LuaHeader['tail'] = { KEYS: null, ARGV: null };
  const malformed: string[] = [];
  for (const line of input.split('\n')) {
    const m = ENTRY.exec(line);
    if (m) {
      const from = Number(m[2]);
      const to = m[3] === undefined ? from : m[3] === '' ? null : Number(m[3]);
      const text = m[4].trim();
      entries.push({ name: m[1] as LuaArray, from, to, text, unused: /\((unused|reserved)\b/i.test(text) });
    } else if (/^\s*(KEYS|ARGV)\[/.test(line)) {
      malformed.push(line.trim());
    } else if (/^\s*then\b/.test(line) && entries.length > 0) {
      const last = entries[entries.length - 1].name;
      tail[last] = tail[last] === null ? line.trim() : `${tail[last]}\n${line.trim()}`;
    }
  }
  return { entries, tail, malformed };
}

/** Lua `source` with its comments removed and the contents of its string literals blanked (quotes kept). */
export function luaCode(source: string): string {
  let out = '';
  let i = 0;
  while (i < source.length) {
    const rest = source.slice(i);
    const longComment = /^--\[(=*)\[/.exec(rest);
    const longString = /^\[(=*)\[/.exec(rest);
    if (longComment || longString) {
      const close = `]${(longComment ?? longString)![1]}]`;
      const stop = source.indexOf(close, i + (longComment ?? longString)![0].length);
      const next = stop < 0 ? source.length : stop + close.length;
      out += longString ? '""' : ' ';
      i = next;
    } else if (rest.startsWith('--')) {
      const eol = source.indexOf('\n', i);
      i = eol < 0 ? source.length : eol;
    } else if (rest[0] === "'" || rest[0] === '"') {
      let j = i + 1;
      while (j < source.length && source[j] !== rest[0] && source[j] !== '\n') j += source[j] === '\\' ? 2 : 1;
      out += `${rest[0]}${rest[0]}`;
      i = j + 1;
    } else {
      out += rest[0];
      i += 1;
    }
  }
  return out;
}

function literalUses(code: string, name: LuaArray): number[] {
  const found = [...code.matchAll(new RegExp(`\\b${name}\\[\\s*(\\d+)\\s*\\]`, 'g'))].map((m) => Number(m[1]));
  return [...new Set(found)].sort((a, b) => a - b);
}

function computedUses(code: string, name: LuaArray): string[] {
  const uses: string[] = [];
  for (const m of code.matchAll(new RegExp(`(#\\s*)?\\b${name}\\b(\\s*\\[([^\\]]*)\\])?`, 'g'))) {
    if (m[1]) continue; // #ARGV: a length
    const index = m[3]?.trim();
    if (index !== undefined) {
      if (!/^\d+$/.test(index)) uses.push(index.replace(/\s+/g, ' '));
      continue;
    }
    const unpacked = /unpack\(\s*$/.test(code.slice(Math.max(0, m.index - 20), m.index));
    const spread = unpacked ? /^\s*,\s*(\d+)\s*\)/.exec(code.slice(m.index + m[0].length)) : null;
    uses.push(spread ? `${spread[1]}..` : '*');
  }
  return uses;
}
