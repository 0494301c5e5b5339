import { readdirSync, readFileSync, statSync } from 'fs';
import { join, relative } from 'path';
import { dispatcherCommands } from '../../src/dispatcher/redis/redis-dispatcher-store';
import { streamCommands } from '../../src/events/redis-stream/stream-keys';
import { queueCommands } from '../../src/queue/redis/queue-scripts';
import type { LuaCommands } from '../../src/redis/lua-loader';
import { SHARED_LUA_INCLUDES } from '../../src/redis/lua-loader';
import { schedulerCommands } from '../../src/scheduler/redis/redis-scheduler-store';
import { luaCode, readLuaHeader } from '../../src/testing/lua-header';
import { definedIn, headerProblems, includeNeeds } from './lua-header-checks';

// Every Lua script of the library against its header (the convention of docs/conventions.md,
// "Redis"), read as the loader sends it: with its `-- @include` lines replaced.

const SRC = join(__dirname, '..', '..', 'src');

/** The four script sets and the folder each loads from. */
const SETS: Array<[string, LuaCommands<string>]> = [
  ['queue/redis/lua', queueCommands()],
  ['scheduler/redis/lua', schedulerCommands()],
  ['events/redis-stream/lua', streamCommands()],
  ['dispatcher/redis/lua', dispatcherCommands()],
];

function luaFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? luaFiles(path) : name.endsWith('.lua') ? [path] : [];
  });
}

const ALL = luaFiles(SRC).map((f) => relative(SRC, f));
const INCLUDES = ALL.filter((f) => f.split('/').includes('includes'));
const SCRIPTS = SETS.flatMap(([dir, set]) => set.names().map((name) => ({ file: `${dir}/${name}.lua`, source: set.source(name) })));

/** The include text the loader puts in a script: the file with its own `-- @include` lines gone. */
function includeMark(source: string): string {
  return source.split('\n').find((line) => line.trim() !== '' && !line.startsWith('-- @include'))!;
}

describe('Lua script headers', () => {
  it('covers every script file: each .lua outside includes/ is loaded by one of the four sets', () => {
    expect(ALL.filter((f) => !INCLUDES.includes(f)).sort()).toEqual(SCRIPTS.map((s) => s.file).sort());
    expect(INCLUDES.length).toBeGreaterThan(0);
  });

  it.each(SCRIPTS.map((s) => [s.file, s.source]))('%s matches its header', (file, source) => {
    expect({ file, problems: headerProblems(source) }).toEqual({ file, problems: [] });
  });

  it.each(INCLUDES)('%s reads no KEYS[n] / ARGV[n] of its own (a script passes it keys by name, `Needs:`)', (file) => {
    const read = readLuaHeader(readFileSync(join(SRC, file), 'utf8'));
    expect({ file, used: read.used }).toEqual({ file, used: { KEYS: [], ARGV: [] } });
  });

  it.each(INCLUDES)('%s: every script including it defines what its `Needs:` lists before it', (file) => {
    const include = readFileSync(join(SRC, file), 'utf8');
    const needs = includeNeeds(include);
    const mark = includeMark(include);
    const missing: string[] = [];
    for (const { file: script, source } of SCRIPTS) {
      const at = source.indexOf(mark);
      if (at < 0) continue;
      const before = luaCode(source.slice(0, at));
      for (const name of needs) {
        if (definedIn(before, name)) continue;
        missing.push(`${script} includes it before defining ${name}`);
      }
    }
    expect({ file, missing }).toEqual({ file, missing: [] });
  });

  it('reads the Needs of the includes that have one', () => {
    expect(includeNeeds(readFileSync(join(SHARED_LUA_INCLUDES, 'now.lua'), 'utf8'))).toEqual([]);
    expect(includeNeeds(readFileSync(join(SRC, 'queue/redis/lua/includes/dead-letter.lua'), 'utf8'))).toEqual([
      'msgs',
      'att',
      'errors',
      'dlq',
      'dlqinfo',
      'stats',
    ]);
    expect(includeNeeds(readFileSync(join(SRC, 'queue/redis/lua/includes/rate-limit.lua'), 'utf8'))).toEqual(
      expect.arrayContaining(['tiers', 'parked', 'msgs', 'rate', 'meta', 'markBroken', 'nowMs']),
    );
  });
});
