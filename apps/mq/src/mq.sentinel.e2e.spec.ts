import { ChildProcess, execFile, spawn } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type Redis from 'ioredis';
import { createQueue, NonRetryableError } from '@meeting/queue';
import { findRedisServerBinary, freePort, RedisServerHandle, spawnRedis, uniquePrefix, waitFor } from '@meeting/queue/testing';

/**
 * `mq` through Redis Sentinel: a real master and a real `redis-server --sentinel` on loopback; the
 * bin reads a YAML configuration that names only the sentinel (as the services' prod overlay does),
 * finds the queue, lists its dead letters and replays one, which then runs.
 */
jest.setTimeout(180_000);

const BIN = join(__dirname, '..', 'bin', 'mq.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('mq through Redis Sentinel', () => {
  let master: RedisServerHandle;
  let client: Redis;
  let sentinel: ChildProcess;
  let dir: string;
  let configFile: string;
  let prefix: string;

  const mq = (args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      const env = { ...process.env };
      delete env.REDIS_URL;
      delete env.CONFIG_FILE;
      execFile(process.execPath, [BIN, '--config', configFile, ...args], { cwd: dir, env, timeout: 60_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  beforeAll(async () => {
    master = await spawnRedis();
    client = master.client();
    dir = mkdtempSync(join(tmpdir(), 'mq-sentinel-'));
    const port = await freePort();
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(conf, [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor testmaster 127.0.0.1 ${master.port} 1`, ''].join('\n'));
    sentinel = spawn(findRedisServerBinary()!, [conf, '--sentinel'], { stdio: 'ignore' });
    // Ready when the sentinel answers with the master's address.
    await waitFor(
      () =>
        new Promise<boolean>((resolve) =>
          execFile('redis-cli', ['-p', String(port), 'SENTINEL', 'get-master-addr-by-name', 'testmaster'], (error, out) =>
            resolve(!error && out.includes(String(master.port))),
          ),
        ),
      'the sentinel to know the master',
      30_000,
    );
    prefix = uniquePrefix('mqs').replace(/:/g, '_');
    configFile = join(dir, 'sentinel.yaml');
    writeFileSync(
      configFile,
      ['redis:', '  sentinel_name: testmaster', '  sentinels:', `    - { host: 127.0.0.1, port: ${port} }`, `  key_prefix: ${prefix}`, ''].join('\n'),
    );
  });

  afterAll(async () => {
    sentinel?.kill('SIGKILL');
    client?.disconnect();
    await master?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('queues, dead letters and a replay that runs, with only the sentinel in the configuration', async () => {
    const queue = createQueue({ name: 'sentinel_jobs', backend: { type: 'redis', client, prefix }, maxRetries: 0 });
    let fail = true;
    const ran: string[] = [];
    queue.process('job', async (m) => {
      if (fail) throw new NonRetryableError('first run fails');
      ran.push(m.id);
    });
    const [id] = await queue.publishBatch([{ type: 'job', payload: { n: 1 } }]);
    await waitFor(async () => (await queue.stats()).dead_letter_count === 1, 'the message dead-lettered', 20_000);

    const queues = await mq(['queues', '--json']);
    expect(queues.stderr).toBe('');
    expect(queues.code).toBe(0);
    const listed = JSON.parse(queues.stdout) as { prefix: string; queues: Array<{ name: string }> };
    expect({ prefix: listed.prefix, names: listed.queues.map((q) => q.name) }).toEqual({ prefix, names: ['sentinel_jobs'] });

    const dead = await mq(['dlq', 'list', 'sentinel_jobs', '--json']);
    expect(dead.code).toBe(0);
    expect(dead.stdout).toContain(id);

    fail = false;
    const replay = await mq(['dlq', 'replay', 'sentinel_jobs', id]);
    expect(replay.code).toBe(0);
    await waitFor(() => ran.includes(id), 'the replayed message to run', 20_000);
    await queue.close();
  });
});
