/** What a dispatch costs on Redis: one command (the publish script), nothing in the dispatcher's own key space. */
import { RedisServerHandle, spawnRedis, uniquePrefix } from '../../testing';
import { redisDispatcherKit } from '../testing/dispatcher-test-kit';

let server: RedisServerHandle;
beforeAll(async () => {
  server = await spawnRedis();
});
afterAll(async () => {
  await server?.cleanup();
});

describe('Dispatcher on Redis writes one thing per dispatch', () => {
  it("sends exactly one command for a dispatch (the publish script) and writes nothing in the dispatcher's space", async () => {
    const kit = redisDispatcherKit(() => server.client(), uniquePrefix('dsp'));
    const admin = server.client();
    try {
      const caller = kit.dispatcher({ service: 'caller', routes: { 'nobody.handles': { queue: 'idle' } } });
      await caller.dispatch('nobody.handles', { warm: true }); // scripts loaded, queue opened
      const calls = async () => {
        const text = await admin.info('commandstats');
        const out: Record<string, number> = {};
        for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]] = Number(m[2]);
        return out;
      };
      const delta = (a: Record<string, number>, b: Record<string, number>) =>
        Object.fromEntries(
          Object.entries(b)
            .filter(([k, v]) => k !== 'info' && v !== (a[k] ?? 0))
            .map(([k, v]) => [k, v - (a[k] ?? 0)]),
        );
      const t0 = await calls();
      const taskId = await caller.dispatch('nobody.handles', { n: 1 });
      const t1 = await calls();
      // evalsha of publish.lua, and inside it only the queue's own keys (HSET, RPUSH, INCRBY, HINCRBY, wake-up)
      const d = delta(t0, t1);
      expect(d.evalsha).toBe(1);
      expect(Object.keys(d).filter((c) => ['hsetnx', 'xadd', 'set', 'pexpire', 'del', 'eval'].includes(c))).toEqual([]);
      expect(await caller.getStatus(taskId)).toMatchObject({ state: 'pending', queue: 'idle' });
      const keys = await admin.keys('*{caller}*');
      expect(keys).toEqual([]); // nothing in the dispatcher's own space until a result is written
    } finally {
      await kit.close();
      admin.disconnect();
    }
  });
});
