import { callDelta, commandCalls } from '../lib/redis-info';
import { DeliveryTracker } from '../lib/tracker';
import { sleep } from '../lib/time';
import { waitProcessed } from './common';
import { Scenario, withSystem } from './scenario';

const SETTLE_MS = 1000;
const AFTER_CHECK = 10;

/**
 * Redis commands caused by one idle worker over `idleSeconds`, with a started consumer (default
 * options) and nothing to do. Two counts: every command from INFO commandstats (those run inside
 * Lua scripts included), and the commands clients sent (round trips: MONITOR lines whose source is
 * not "lua"). Our own INFO calls are left out. Then a few messages prove the worker still works.
 */
export const idleCommands: Scenario = {
  id: 'idle-commands',
  title: 'Redis commands per idle worker',
  metrics: [
    { key: 'clientPerMinute', label: 'idle worker, commands sent (round trips)', unit: 'cmds/min', better: 'lower' },
    { key: 'perMinute', label: 'idle worker, all commands incl. inside scripts', unit: 'cmds/min', better: 'lower' },
  ],
  run: (ctx, kind) =>
    withSystem(ctx, kind, async (system) => {
      const tracker = new DeliveryTracker(AFTER_CHECK);
      await system.consume(10, (m) => tracker.record(m.i));
      await sleep(Math.min(SETTLE_MS, ctx.sizes.idleSeconds * 1000));
      const sent: Record<string, number> = {};
      let counting = true;
      const monitor = await ctx.admin.monitor(); // its own connection, closed below
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        const cmd = String(args[0]).toLowerCase();
        if (counting && source !== 'lua' && cmd !== 'info') sent[cmd] = (sent[cmd] ?? 0) + 1;
      });
      const before = await commandCalls(ctx.admin);
      await sleep(ctx.sizes.idleSeconds * 1000);
      const after = await commandCalls(ctx.admin);
      counting = false;
      monitor.disconnect();
      const delta = callDelta(before, after);
      delete delta.info;
      delete delta.monitor;
      const total = Object.values(delta).reduce((a, b) => a + b, 0);
      const clientTotal = Object.values(sent).reduce((a, b) => a + b, 0);
      await system.publishBatch(Array.from({ length: AFTER_CHECK }, (_, i) => ({ i })));
      await waitProcessed(ctx, system, tracker, AFTER_CHECK);
      tracker.verify(AFTER_CHECK, `${kind} idle-commands`);
      const perMinute = (n: number) => (n / ctx.sizes.idleSeconds) * 60;
      return {
        metrics: { clientPerMinute: perMinute(clientTotal), perMinute: perMinute(total) },
        detail: { windowSeconds: ctx.sizes.idleSeconds, commands: delta, sentByClients: sent },
      };
    }),
};
