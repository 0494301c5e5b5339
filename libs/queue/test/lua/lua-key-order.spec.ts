import { join } from 'path';
import { dispatcherCommands } from '../../src/dispatcher/redis/redis-dispatcher-store';
import { streamCommands } from '../../src/events/redis-stream/stream-keys';
import { queueCommands } from '../../src/queue/redis/queue-scripts';
import type { LuaCommands } from '../../src/redis/lua-loader';
import { schedulerCommands } from '../../src/scheduler/redis/redis-scheduler-store';
import { readLuaHeader } from '../../src/testing/lua-header';
import { keyOrderProblems, scriptCalls } from './ts-key-order';

// The key order of each Lua script against its header (docs/conventions.md, "Redis"): every call
// of a script in the TypeScript code passes its keys in the order the header's KEYS lines name them.

const SRC = join(__dirname, '..', '..', 'src');

/** The four script sets and the source folder whose code calls them. */
const SETS: Array<[string, LuaCommands<string>]> = [
  ['queue', queueCommands()],
  ['scheduler', schedulerCommands()],
  ['events/redis-stream', streamCommands()],
  ['dispatcher', dispatcherCommands()],
];

const CALLS = SETS.flatMap(([area, set]) => scriptCalls(SRC, area, set.names()).map((call) => ({ ...call, set })));

describe('Lua script key order', () => {
  it('finds a call of every script', () => {
    const called = new Set(CALLS.map((c) => `${c.set.names().join()}:${c.script}`));
    const uncalled = SETS.flatMap(([area, set]) =>
      set
        .names()
        .filter((n) => !called.has(`${set.names().join()}:${n}`))
        .map((n) => `${area}: ${n}`),
    );
    expect(uncalled).toEqual([]);
  });

  it.each(CALLS.map((c) => [`${c.file}:${c.line}`, c.script, c]))('%s passes the keys of %s in header order', (_at, _script, call) => {
    const problems = typeof call.keys === 'string' ? [call.keys] : keyOrderProblems(call.keys, readLuaHeader(call.set.source(call.script)).entries);
    expect({ call: `${call.file}:${call.line} ${call.script}`, problems }).toEqual({ call: `${call.file}:${call.line} ${call.script}`, problems: [] });
  });
});
