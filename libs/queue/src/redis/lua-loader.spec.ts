import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { dispatcherCommands } from '../dispatcher/redis/redis-dispatcher-store';
import { streamCommands } from '../events/redis-stream/stream-keys';
import { queueCommands } from '../queue/redis/queue-scripts';
import { schedulerCommands } from '../scheduler/redis/redis-scheduler-store';
import { spawnRedis } from '../testing';
import type { RedisServerHandle } from '../testing';
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

describe('LuaCommands on a Redis server', () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await spawnRedis();
  });
  afterAll(() => server?.cleanup());

  // Echoes what the script received: its KEYS, then its ARGV.
  const echo = () => new LuaCommands(scriptsDir({ 'echo.lua': 'return {KEYS, ARGV}\n' }), ['echo'], 'spec');

  it('passes KEYS and ARGV in order, numbers as their decimal text, also thousands of arguments and in a pipeline', async () => {
    const lua = echo();
    const client = server.client();
    try {
      lua.install(client);
      expect(await lua.run(client, 'echo', ['k1', 'k2'], ['a', 7, ''])).toEqual([
        ['k1', 'k2'],
        ['a', '7', ''],
      ]);
      const many = Array.from({ length: 5000 }, (_, i) => (i % 2 ? i : `v${i}`));
      const [keys, args] = await lua.run<[string[], string[]]>(client, 'echo', ['k'], many);
      expect(keys).toEqual(['k']);
      expect(args).toEqual(many.map(String));
      const pipeline = client.pipeline();
      lua.queue(pipeline, 'echo', ['p'], ['x', 1]);
      lua.queue(pipeline, 'echo', [], []);
      expect(await pipeline.exec()).toEqual([
        [null, [['p'], ['x', '1']]],
        [null, [[], []]],
      ]);
    } finally {
      client.disconnect();
    }
  });

  it('runs again after the server forgot its scripts (SCRIPT FLUSH), alone and in a pipeline', async () => {
    const lua = echo();
    const client = server.client();
    try {
      lua.install(client);
      expect(await lua.run(client, 'echo', ['a'], [1])).toEqual([['a'], ['1']]);
      await client.script('FLUSH');
      expect(await lua.run(client, 'echo', ['b'], [2])).toEqual([['b'], ['2']]);
      await client.script('FLUSH');
      const pipeline = client.pipeline();
      lua.queue(pipeline, 'echo', ['c'], [3]);
      expect(await pipeline.exec()).toEqual([[null, [['c'], ['3']]]]);
    } finally {
      client.disconnect();
    }
  });
});
