import { luaCode, readLuaHeader } from '../../src/testing/lua-header';
import type { LuaArray, LuaHeader, LuaHeaderEntry } from '../../src/testing/lua-header';

const ARRAYS: LuaArray[] = ['KEYS', 'ARGV'];

/**
 * What is wrong between a script (its includes resolved, as `LuaCommands.source` gives it) and its
 * header; empty when nothing. The header must open the script with `Input:` and `Output:`
 * sections; its `KEYS`/`ARGV` lines number each array from 1 on without gaps or repeats (an open
 * range `ARGV[a..]` or a `then ...` line only last); every index the code reads is declared; every
 * declared index (not marked `(unused ...)` / `(reserved ...)`) is read. A read through a computed
 * index counts for the range it starts (`KEYS[8 + t]` for `KEYS[9..]`, `unpack(ARGV, 2)` for
 * `ARGV[2..]`) and any other for the open range or `then` line, which it needs.
 */
export function headerProblems(source: string): string[] {
  const read = readLuaHeader(source);
  if (!read.opensWithHeader) return ['does not open with a `--[[` header'];
  const problems: string[] = [];
  if (!/^\s*Input:\s*$/m.test(read.header) && read.entries.length > 0) problems.push('header has no `Input:` section');
  if (!/^\s*Output:\s*$/m.test(read.header)) problems.push('header has no `Output:` section');
  problems.push(...read.malformed.map((line) => `header line "${line}" is not KEYS[n], KEYS[a..b] or KEYS[a..] (same for ARGV)`));
  for (const name of ARRAYS) problems.push(...arrayProblems(read, name));
  return problems;
}

function arrayProblems(read: LuaHeader, name: LuaArray): string[] {
  const entries = read.entries.filter((e) => e.name === name);
  const problems = orderProblems(entries, read.tail[name] !== null, name);
  const open = entries.some((e) => e.to === null) || read.tail[name] !== null;
  for (const index of read.used[name]) {
    if (!entries.some((e) => covers(e, index))) problems.push(`code reads ${name}[${index}], which the header does not declare`);
  }
  const covered = new Set<LuaHeaderEntry>();
  for (const expr of read.computed[name]) {
    const entry = computedEntry(entries, expr);
    if (entry) covered.add(entry);
    else if (!open) problems.push(`code reads ${name}[${expr}] but the header declares no range or \`then\` line it could fall in`);
  }
  for (const e of entries) {
    if (e.unused || covered.has(e)) continue;
    if (e.to === null) {
      if (read.computed[name].length === 0 && !read.used[name].some((i) => i >= e.from))
        problems.push(`header declares ${label(e)} but the code reads none of it`);
      continue;
    }
    const missing = indices(e.from, e.to).filter((i) => !read.used[name].includes(i));
    if (missing.length > 0) problems.push(`header declares ${label(e)} but the code does not read ${missing.map((i) => `${name}[${i}]`).join(', ')}`);
  }
  return problems;
}

function orderProblems(entries: LuaHeaderEntry[], tail: boolean, name: LuaArray): string[] {
  const problems: string[] = [];
  let next = 1;
  for (const e of entries) {
    if (next === 0) problems.push(`header declares ${label(e)} after an open range`);
    else if (e.from !== next) problems.push(`header declares ${label(e)} where ${name}[${next}] comes next (in order, no gaps or repeats)`);
    else if (e.to !== null && e.to < e.from) problems.push(`header range ${label(e)} is empty`);
    next = e.to === null ? 0 : Math.max(next, e.to + 1);
  }
  if (tail && next === 0) problems.push(`header has a \`then\` line for ${name} after an open range`);
  return problems;
}

/** The entry a computed read starts: `'n..'` (unpack) in it, or `c + i` / `i + c` / `i` reading from c + 1 on. */
function computedEntry(entries: LuaHeaderEntry[], expr: string): LuaHeaderEntry | undefined {
  const spread = /^(\d+)\.\.$/.exec(expr);
  if (spread) return entries.find((e) => covers(e, Number(spread[1])));
  const offset = /^(?:(\d+) \+ [A-Za-z_]\w*|[A-Za-z_]\w*(?: \+ (\d+))?)$/.exec(expr);
  if (offset) return entries.find((e) => e.from === Number(offset[1] ?? offset[2] ?? 0) + 1 && e.to !== e.from);
  return undefined;
}

function covers(e: LuaHeaderEntry, index: number): boolean {
  return index >= e.from && (e.to === null || index <= e.to);
}

function indices(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function label(e: LuaHeaderEntry): string {
  return `${e.name}[${e.to === e.from ? e.from : `${e.from}..${e.to ?? ''}`}]`;
}

/**
 * The names an include's `Needs:` sentence lists that its code reads without defining them (the
 * keys and helpers the including script must define first). Parenthesised and backquoted words are
 * left out, and so are words the code does not read (`the`, `includes`).
 */
export function includeNeeds(includeSource: string): string[] {
  const comments = includeSource
    .split('\n')
    .filter((l) => l.startsWith('--'))
    .map((l) => l.replace(/^--\s?/, ''))
    .join(' ');
  const sentence = /Needs:(.*?)(?:\.\s|\.$|$)/.exec(comments)?.[1] ?? '';
  const code = luaCode(includeSource);
  const words = sentence
    .replace(/\([^)]*\)|`[^`]*`/g, ' ')
    .split(/,|\band\b/)
    .map((part) => /^\s*([A-Za-z_]\w*)\b/.exec(part)?.[1])
    .filter((w): w is string => w !== undefined);
  return [...new Set(words)].filter((w) => new RegExp(`\\b${w}\\b`).test(code) && !definedIn(code, w));
}

/** Whether `code` defines `name` with `local` (a variable list or a function). */
export function definedIn(code: string, name: string): boolean {
  return new RegExp(`\\blocal\\s+function\\s+${name}\\b|\\blocal\\s+(?:[A-Za-z_]\\w*\\s*,\\s*)*${name}\\b`).test(code);
}
