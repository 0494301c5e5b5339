import { spawn } from 'child_process';
import { join, resolve } from 'path';
import { spawnRedis } from '../testing';
import { QueueManager } from './queue-manager';

const ROOT = resolve(__dirname, '../../../..');

describe('QueueManager without Nest: signals', () => {
  it('SIGTERM drains the running handler and exits 0; a second SIGTERM during the drain changes nothing', async () => {
    const redis = await spawnRedis();
    const env: NodeJS.ProcessEnv = { ...process.env, REDIS_TEST_URL: redis.url };
    delete env.REDIS_URL;
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(ROOT, 'libs/queue/test/fixtures/nest-free-manager.ts')], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Array<Record<string, unknown>> = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        try {
          lines.push(JSON.parse(line));
        } catch {
          // log line
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const waitLine = async (key: string) => {
      // generous: the child starts under ts-node, which takes long on a busy machine
      const deadline = Date.now() + 90_000;
      while (!lines.some((l) => l[key])) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no "${key}" line; stderr: ${stderr.slice(-1000)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const producer = await QueueManager.create(
      {
        redis: { url: redis.url },
        message_queue: { queue_name: 'jobs' },
        event_bus: { enabled: false },
        task_scheduler: { enabled: false },
        task_dispatcher: { enabled: false },
        metrics: { enabled: false },
      },
      { env: {} },
    );
    try {
      await waitLine('ready');
      await producer.publishTask({ type: 'slow', payload: { ms: 600 } });
      await waitLine('started');
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 150));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(lines.find((l) => l.done)).toEqual({ done: true, aborted: false });
      expect(await producer.queue().stats()).toMatchObject({ total_processed: 1, processing_count: 0, queue_length: { normal: 0 } });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await producer.shutdown();
      await redis.cleanup();
    }
  }, 240_000);
});
