import type Redis from 'ioredis';
import type { RedisServerProcess } from '../../src/redis/redis-server-process';
import { uniquePrefix } from '../../src/testing';
import { sleep, waitFor } from '../../src/testing/wait';
import { ClusterBusRun } from './cluster-bus-run';
import { channelOn, waitForClusterFailover } from './cluster-topology';

/**
 * Issue 16, "Sharded pub/sub": a redis_pubsub bus on a 3-master Cluster (one replica each) uses
 * SSUBSCRIBE on the master of the channel's slot. That master is SIGKILLed while a publisher runs:
 * after its replica took over, the subscriber is subscribed on the new master (SHARDNUMSUB there)
 * and receives again; a channel on another master is delivered throughout.
 */
describe('Sharded pub/sub through a Cluster failover (SIGKILL of the channel master)', () => {
  const run = new ClusterBusRun();
  afterEach(() => run.close());

  test('the subscriber resubscribes on the promoted replica and receives again', async () => {
    // without full coverage the other masters keep serving while the victim's slots have no master
    const cluster = await run.spawn(3, { replicasPerMaster: 1, requireFullCoverage: false });
    const [victim, other] = cluster.nodes;
    const prefix = uniquePrefix('spfo');
    // a channel on the master that is killed, and one on a master that stays
    const onVictim = await channelOn(victim, prefix, 'a');
    const onOther = await channelOn(other, prefix, 'b');
    const bus = run.openBus({ prefix, serviceName: 'fo' });
    expect(bus.sharded).toBe(true);
    const received: Record<string, number[]> = { [onVictim]: [], [onOther]: [] };
    for (const channel of [onVictim, onOther]) await bus.subscribe<number>(channel, (e) => void received[channel].push(e.data));
    expect(await shardSubscribers(victim, `${prefix}:${onVictim}`)).toBe(1);

    let producing = true;
    let sent = 0;
    const producer = (async () => {
      for (let i = 0; producing; i++) {
        await sleep(10);
        // a publish on the dead master waits for the failover or fails: pub/sub is at-most-once
        await Promise.all([bus.publish(onVictim, 't', i).catch(() => undefined), bus.publish(onOther, 't', i).catch(() => undefined)]);
        sent = i;
      }
    })();
    try {
      await waitFor(() => received[onVictim].length > 20, 'deliveries before the kill', 10_000);
      const killedAt = sent;
      await victim.kill();
      const otherBefore = received[onOther].length;
      // the other master's channel keeps going while the victim's slots have no master
      await waitFor(() => received[onOther].length > otherBefore + 20, 'deliveries on the other master during the outage', 20_000);
      await waitForClusterFailover(cluster, victim);
      const promoted = cluster.replicas[0];
      await waitFor(async () => (await shardSubscribers(promoted, `${prefix}:${onVictim}`)) === 1, 'SSUBSCRIBE again on the promoted replica', 20_000, 100);
      const afterFailover = sent;
      await waitFor(() => received[onVictim].some((n) => n > afterFailover), 'deliveries on the new master', 20_000);
      expect(afterFailover).toBeGreaterThan(killedAt);
    } finally {
      producing = false;
      await producer;
    }
    // Per channel the events that arrived came in publish order (one master, one subscriber connection).
    for (const list of Object.values(received)) expect(list).toEqual([...list].sort((a, b) => a - b));
  }, 180_000);
});

/** PUBSUB SHARDNUMSUB of one channel on one node. */
async function shardSubscribers(node: RedisServerProcess, channel: string): Promise<number> {
  const admin: Redis = node.client();
  admin.on('error', () => undefined);
  try {
    const reply = (await admin.call('PUBSUB', 'SHARDNUMSUB', channel)) as Array<string | number>;
    return Number(reply[1]);
  } finally {
    admin.disconnect();
  }
}
