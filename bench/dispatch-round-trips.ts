/**
 * Redis commands per dispatched task, end to end: meeting dispatches `speech_recognition` to the
 * ai queue, the ai dispatcher runs the handler, the meeting dispatcher's `onCompleted` fires (and,
 * second pass, `dispatchAndWait` gets its reply). Counted on a throwaway redis-server with MONITOR
 * (commands sent by clients = round trips, Lua scripts named by their file) and INFO commandstats
 * (every command, those run inside scripts included), after a warm-up, over sequential tasks.
 *
 *   node -r ts-node/register/transpile-only bench/dispatch-round-trips.ts [tasks=20]
 *
 * Results are in docs/dispatcher.md ("Round trips per task").
 */
import { createHash } from 'crypto';
import { readdirSync } from 'fs';
import { join } from 'path';
import { createDispatcher } from '../libs/queue/src/dispatcher/create-dispatcher';
import { createQueue } from '../libs/queue/src/queue/create-queue';
import { LuaCommands } from '../libs/queue/src/redis/lua-loader';
import { spawnRedis } from '../libs/queue/src/testing/redis-harness';
import { waitFor } from '../libs/queue/src/testing/wait';
import { callDelta, commandCalls } from './lib/redis-info';

const LUA_DIRS = [join(__dirname, '../libs/queue/src/queue/redis/lua'), join(__dirname, '../libs/queue/src/dispatcher/redis/lua')];

/** sha1 of every script as loaded (includes resolved) -> its file name. */
function scriptNames(): Map<string, string> {
  const out = new Map<string, string>();
  for (const dir of LUA_DIRS) {
    const names = readdirSync(dir)
      .filter((f) => f.endsWith('.lua'))
      .map((f) => f.slice(0, -4));
    const lua = new LuaCommands(dir, names, 'x');
    for (const name of names) out.set(createHash('sha1').update(lua.source(name)).digest('hex'), name);
  }
  return out;
}

async function main(): Promise<void> {
  const tasks = Number(process.argv[2] ?? 20);
  const server = await spawnRedis();
  const clients = [server.client(), server.client(), server.client()];
  const [meetingClient, aiClient, admin] = clients;
  const ai = createQueue({ name: 'ai', backend: { type: 'redis', client: aiClient } });
  const meeting = createDispatcher({
    service: 'meeting',
    backend: { type: 'redis', client: meetingClient, prefix: 'mq', queuePrefix: 'mq' },
    routes: { speech_recognition: { queue: 'ai' } },
  });
  const handler = createDispatcher({ service: 'ai', backend: { type: 'redis', client: aiClient, prefix: 'mq', queuePrefix: 'mq' }, queues: [ai] });
  handler.handle('speech_recognition', (p: { n: number }) => ({ words: p.n }));
  let completed = 0;
  meeting.onCompleted('speech_recognition', () => void completed++);
  const names = scriptNames();

  const measure = async (label: string, one: (i: number) => Promise<void>) => {
    for (let i = 0; i < 3; i++) await one(i); // warm-up: scripts loaded, groups created
    await new Promise((resolve) => setTimeout(resolve, 300));
    const sent: Record<string, number> = {};
    let counting = true;
    const monitor = await admin.monitor();
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      let cmd = String(args[0]).toLowerCase();
      if (!counting || source === 'lua' || cmd === 'info') return;
      if (cmd === 'evalsha' || cmd === 'eval') cmd = `script ${names.get(String(args[1])) ?? (cmd === 'eval' ? 'eval' : 'unknown')}`;
      sent[cmd] = (sent[cmd] ?? 0) + 1;
    });
    const before = await commandCalls(admin);
    for (let i = 0; i < tasks; i++) await one(i);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const after = await commandCalls(admin);
    counting = false;
    monitor.disconnect();
    const all = callDelta(before, after);
    delete all.info;
    delete all.monitor;
    const per = (n: number) => Math.round((n / tasks) * 100) / 100;
    const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
    console.log(`\n${label}: ${tasks} sequential tasks`);
    console.log(`  commands sent by clients (round trips) per task: ${per(sum(sent))}`);
    for (const [cmd, n] of Object.entries(sent).sort()) console.log(`    ${cmd.padEnd(28)} ${per(n)}`);
    console.log(`  all commands incl. inside scripts per task: ${per(sum(all))}`);
  };

  try {
    await measure('dispatch -> handler -> onCompleted', async (i) => {
      const target = completed + 1;
      await meeting.dispatch('speech_recognition', { n: i });
      await waitFor(() => completed >= target, 'onCompleted', 10_000);
    });
    await measure('dispatchAndWait -> handler -> reply (+ onCompleted)', async (i) => {
      const target = completed + 1;
      await meeting.dispatchAndWait('speech_recognition', { n: i }, { timeoutMs: 10_000 });
      await waitFor(() => completed >= target, 'onCompleted', 10_000);
    });
  } finally {
    await meeting.close();
    await handler.close();
    await ai.close({ drainTimeoutMs: 100 });
    clients.forEach((c) => c.disconnect());
    await server.cleanup();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
