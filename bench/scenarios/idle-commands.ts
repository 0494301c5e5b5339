import { callDelta, commandCalls } from '../lib/redis-info';
import { DeliveryTracker } from '../lib/tracker';
import { sleep } from '../lib/time';
import { waitProcessed } from './common';
import { Scenario, withSystem } from './scenario';

const SETTLE_MS = 1000;
const AFTER_CHECK = 10;

/**
 * Redis commands caused by one idle worker: INFO commandstats before and after `idleSeconds` with a
 * started consumer (default options) and nothing to do. Counts every command, those run inside Lua
 * scripts included; our own INFO calls are left out. Then a few messages prove the worker still works.
 */
export const idleCommands: Scenario = {
  id: 'idle-commands',
  title: 'Redis commands per idle worker',
  metrics: [{ key: 'perMinute', label: 'idle worker Redis commands', unit: 'cmds/min', better: 'lower' }],
  run: (ctx, kind) => withSystem(ctx, kind, async (system) => {
    const tracker = new DeliveryTracker(AFTER_CHECK);
    await system.consume(10, (m) => tracker.record(m.i));
    await sleep(Math.min(SETTLE_MS, ctx.sizes.idleSeconds * 1000));
    const before = await commandCalls(ctx.admin);
    await sleep(ctx.sizes.idleSeconds * 1000);
    const after = await commandCalls(ctx.admin);
    const delta = callDelta(before, after);
    delete delta.info;
    const total = Object.values(delta).reduce((a, b) => a + b, 0);
    await system.publishBatch(Array.from({ length: AFTER_CHECK }, (_, i) => ({ i })));
    await waitProcessed(ctx, system, tracker, AFTER_CHECK);
    tracker.verify(AFTER_CHECK, `${kind} idle-commands`);
    return { metrics: { perMinute: (total / ctx.sizes.idleSeconds) * 60 }, detail: { windowSeconds: ctx.sizes.idleSeconds, commands: delta, perSecond: total / ctx.sizes.idleSeconds } };
  }),
};
