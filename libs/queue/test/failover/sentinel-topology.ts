import Redis from 'ioredis';
import type { TestRedisSentinel } from '../../src/testing';
import { waitFor } from '../../src/testing/wait';

/**
 * Waits until the sentinels name a new master after the old one was killed, then restarts the old
 * master (the sentinels turn it into a replica of the new one) and waits until every replica of
 * the new master is in sync.
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
  await old.restart();
  mark('old master restarted');
  const replicas = [old, ...set.replicas].filter((n) => n !== current);
  await waitFor(
    async () => {
      const infos = await Promise.all(replicas.map((n) => info(n.client(), 'replication')));
      return infos.every((i) => i.includes('role:slave') && i.includes(`master_port:${current.port}`) && i.includes('master_link_status:up'));
    },
    'every replica in sync with the new master',
    timeoutMs,
    100,
  );
  mark('replicas in sync');
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
