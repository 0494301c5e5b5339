import { execFileSync, spawnSync } from 'child_process';
import { createQueue } from '../../src/queue/create-queue';
import { createRedisClient, RedisClient } from '../../src/redis/redis-connection';
import { RedisServerHandle, spawnRedis, uniquePrefix } from '../../src/testing';
import { waitFor } from '../../src/testing/wait';
import { silentLogger } from './silent-logger';

/**
 * A Redis host that reboots: its server comes back on the same address, but nothing of its old
 * connections, and the clients are not told (no FIN or reset reaches them while it is down). A
 * worker idle in BLPOP sends nothing on its connections, so nothing failed on them: before, it
 * stayed blocked on a dead connection and took work only when each idle wait (`idleBlockMs`) ran
 * out, for as long as the system's TCP keepalive took to notice (2 hours on Linux). Now every
 * connection probes after 5 s without traffic: the rebooted host answers with a reset, and the
 * client reconnects and sends its pending BLPOP again.
 *
 * Simulated with iptables (both directions of the port dropped while the server is SIGKILLed and
 * its sockets are destroyed with `ss -K`, so its reset reaches no client) and so run as root only.
 */
const canPartition = process.getuid?.() === 0 && spawnSync('iptables', ['-S', 'INPUT']).status === 0 && spawnSync('ss', ['-V']).status === 0;
const describeRoot = canPartition ? describe : describe.skip;
if (!canPartition) process.stdout.write('redis-host-reboot.spec.ts skipped: it needs root, iptables and ss\n');

function drop(port: number, on: boolean): void {
  for (const direction of ['--dport', '--sport']) execFileSync('iptables', [on ? '-A' : '-D', 'INPUT', '-p', 'tcp', direction, String(port), '-j', 'DROP']);
}

describeRoot('a Redis host that reboots (its old connections vanish without a reset reaching the clients)', () => {
  let server: RedisServerHandle | undefined;
  const clients: RedisClient[] = [];
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.disconnect());
    await server?.cleanup();
    server = undefined;
  });

  function client(url: string): RedisClient {
    const c = createRedisClient({ url, logger: silentLogger() });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  }

  test('an idle worker made before takes new messages as they come, not once per idle wait', async () => {
    server = await spawnRedis();
    const prefix = uniquePrefix('reboot');
    // an idle wait of a minute: a worker left on its dead connection takes a message only when one ends
    const worker = createQueue({ name: 'q', backend: { type: 'redis', client: client(server.url), prefix }, idleBlockMs: 60_000, logger: silentLogger() });
    const started = new Set<string>();
    worker.process<string>('t', (m) => void started.add(m.payload));
    const producer = createQueue({ name: 'q', backend: { type: 'redis', client: client(server.url), prefix }, logger: silentLogger() });
    try {
      await producer.publish({ type: 't', payload: 'before' });
      await waitFor(() => started.has('before'), 'the first message');
      // idle from here: its heartbeat after that start says so (the next one is due in 5 minutes), nothing else is sent
      await waitFor(
        async () => (await producer.workers()).some((w) => w.beatEveryMs === 300_000 && w.held === 0 && w.waitCounts.some((n) => n > 0)),
        'the worker to beat as idle',
      );
      const port = server.port;
      drop(port, true);
      try {
        await server.kill();
        execFileSync('ss', ['-K', '-t', 'sport', '=', `:${port}`]);
      } finally {
        drop(port, false);
      }
      await server.restart();
      for (const payload of ['after', 'later 1', 'later 2']) {
        await producer.publish({ type: 't', payload });
        await waitFor(() => started.has(payload), `"${payload}" to start (well within the idle wait of 60 s)`, 20_000);
      }
    } finally {
      await worker.close();
      await producer.close();
    }
  }, 120_000);
});
