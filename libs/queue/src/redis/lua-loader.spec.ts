import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { dispatcherCommands } from '../dispatcher/redis/redis-dispatcher-store';
import { streamCommands } from '../events/redis-stream/stream-keys';
import { queueCommands } from '../queue/redis/queue-scripts';
import { schedulerCommands } from '../scheduler/redis/redis-scheduler-store';
import { LuaCommands, SHARED_LUA_INCLUDES } from './lua-loader';

function scriptsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mq-lua-'));
  mkdirSync(join(dir, 'includes'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('LuaCommands includes', () => {
  it('resolves every include of the four script sets, from their own folder or the shared one, once per script', () => {
    const nowMs = readFileSync(join(SHARED_LUA_INCLUDES, 'now.lua'), 'utf8');
    const sets = [queueCommands(), schedulerCommands(), dispatcherCommands(), streamCommands()] as Array<LuaCommands<string>>;
    const users: string[] = [];
    for (const set of sets) {
      for (const name of set.names()) {
        const source = set.source(name);
        expect({ name, unresolved: /^-- @include/m.test(source) }).toEqual({ name, unresolved: false });
        if (source.includes('local function nowMs()')) {
          users.push(name);
          expect(source.split('local function nowMs()')).toHaveLength(2);
          expect(source).toContain(nowMs.trim());
        }
      }
    }
    expect(users).toEqual(expect.arrayContaining(['fetch', 'due', 'finish']));
  });

  it('names a missing include and refuses one that exists both beside the scripts and in the shared folder', () => {
    const missing = scriptsDir({ 'a.lua': '-- @include "nowhere"\nreturn 1\n' });
    expect(() => new LuaCommands(missing, ['a'], 't')).toThrow(/Lua include "nowhere" not found in .*includes or .*redis\/lua\/includes/);
    const twice = scriptsDir({ 'a.lua': '-- @include "now"\nreturn 1\n', 'includes/now.lua': '-- a copy\n' });
    expect(() => new LuaCommands(twice, ['a'], 't')).toThrow(/Lua include "now" exists twice/);
    const local = scriptsDir({ 'a.lua': '-- @include "own"\n-- @include "now"\nreturn nowMs()\n', 'includes/own.lua': '-- own\n' });
    const source = new LuaCommands(local, ['a'], 't').source('a');
    expect(source).toContain('-- own');
    expect(source).toContain('local function nowMs()');
  });
});
