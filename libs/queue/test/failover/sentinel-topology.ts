import Redis from 'ioredis';
import type { RedisServerProcess } from '../../src/redis/redis-server-process';
import type { TestRedisSentinel } from '../../src/testing';
import { sleep, waitFor } from '../../src/testing/wait';

/**
 * Waits until the sentinels name a new master after the old one was killed and the surviving
 * replicas are in sync with it, then restarts the old master (the sentinels turn it into a replica
 * of the new one later; that is not waited for).
 */
export async function waitForSentinelFailover(set: TestRedisSentinel, mark: (event: string) => void = () => undefined, timeoutMs = 60_000): Promise<void> {
  const old = set.master;
  const current = await waitFor(
    async () => {
      const master = await set.currentMaster();
      return master && master !== old ? master : null;
    },
    'the sentinels to promote a replica',
    timeoutMs,
    100,
  );
  mark('promoted');
  // The surviving replicas follow the new master (the sentinels reconfigure them): durability needs one.
  const survivors = set.replicas.filter((n) => n !== current && n.running);
  await waitFor(
    async () => {
      const infos = await Promise.all(survivors.map((n) => info(n.client(), 'replication')));
      return infos.every((i) => i.includes('role:slave') && i.includes(`master_port:${current.port}`) && i.includes('master_link_status:up'));
    },
    'the surviving replicas in sync with the new master',
    timeoutMs,
    100,
  );
  mark('replicas in sync');
  // The old master comes back empty and is turned into a replica by the sentinels (in the background).
  await old.restart();
  mark('old master restarted');
}

async function info(client: Redis, section: string): Promise<string> {
  client.on('error', () => undefined);
  try {
    return await client.info(section);
  } catch {
    return '';
  } finally {
    client.disconnect();
  }
}

/**
 * A master that dies while its replicas lag: the replicas are frozen (SIGSTOP) and their links
 * dropped (`CLIENT KILL TYPE replica` on the master), so what the master acknowledges in the next
 * `lagMs` reaches no replica; then the master is SIGKILLed and the replicas resume. Without
 * durability those writes are lost by the failover (freezing alone is not enough on loopback: the
 * stream waits in the frozen replica's socket buffer and is applied when it resumes).
 */
export async function killWithLaggingReplicas(master: RedisServerProcess, replicas: RedisServerProcess[], lagMs: number): Promise<void> {
  await Promise.all(replicas.map((r) => r.freeze()));
  try {
    const admin = master.client();
    try {
      await admin.call('CLIENT', 'KILL', 'TYPE', 'replica');
    } finally {
      admin.disconnect();
    }
    await sleep(lagMs); // the length of the fault, not a wait for a condition
    await master.kill();
  } finally {
    await Promise.all(replicas.map((r) => r.thaw()));
  }
}
