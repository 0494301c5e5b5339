import { ChildProcess, spawn } from 'child_process';
import { join, resolve } from 'path';
import { lastValueFrom } from 'rxjs';
import { QueueManager } from '../../manager/queue-manager';
import { spawnRedis, RedisServerHandle, waitFor } from '../../testing';
import { QueueClientProxy } from './queue-client.proxy';
import { QueueRecord, QueueRecordBuilder } from './queue-record';

const ROOT = resolve(__dirname, '../../../../..');
const FIXTURE = join(ROOT, 'libs/queue/test/fixtures/nest-transport-server.ts');

/** The microservice in a child process; `lines` collects its JSON stdout lines. */
class ServerProcess {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = '';

  constructor(readonly child: ChildProcess) {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let i: number;
      while ((i = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        try {
          this.lines.push(JSON.parse(line));
        } catch {
          // a log line
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
  }

  static start(redisUrl: string): ServerProcess {
    const env: NodeJS.ProcessEnv = { ...process.env, REDIS_TEST_URL: redisUrl, NODE_ENV: 'production' };
    delete env.REDIS_URL;
    return new ServerProcess(
      spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', FIXTURE], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
  }

  /** Waits for a line; the default bound covers a ts-node start-up on a busy machine. */
  async waitFor(match: (line: Record<string, unknown>) => boolean, timeoutMs = 90_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(match);
      if (found) return found;
      if (this.child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not print the expected line; stderr: ${this.stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

describe('queue transport: a Nest microservice and a client in another process', () => {
  let redis: RedisServerHandle;
  let manager: QueueManager;
  let client: QueueClientProxy;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    redis = await spawnRedis();
    manager = await QueueManager.create(
      {
        service_name: 'meeting',
        redis: { url: redis.url },
        message_queue: { queue_name: 'meeting_tasks', queues: { ai_tasks: {} } },
        event_bus: { type: 'redis_pubsub' },
        task_dispatcher: {
          routes: Object.fromEntries(
            ['speech_recognition', 'emotion_detection', 'audio_denoising', 'video_enhancement', 'ordered', 'slow'].map((type) => [
              type,
              type === 'video_enhancement' ? { queue: 'ai_tasks', max_retries: 1 } : { queue: 'ai_tasks' },
            ]),
          ),
        },
        metrics: { enabled: false },
      },
      { env: {} },
    );
    // replies to the backlog wait for the server's start-up (ts-node: long on a busy machine)
    client = new QueueClientProxy({ manager, timeoutMs: 120_000 });
  });

  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    await client?.close();
    await manager?.shutdown();
    await redis?.cleanup();
  });

  it('request/reply, Observable replies, remote errors, events, priorities under a backlog, signals during shutdown', async () => {
    // A backlog before the server runs: five low-priority tasks, then one critical.
    const queued = async (tier: 'low' | 'critical', n: number) => (await manager.queue('ai_tasks').stats()).queue_length[tier] === n;
    const backlog = [1, 2, 3, 4, 5].map((n) => lastValueFrom(client.send('ordered', new QueueRecord({ n }, { priority: 'low' }))));
    await waitFor(() => queued('low', 5), 'the five lows queued');
    const urgent = lastValueFrom(client.send('ordered', new QueueRecordBuilder({ n: 0 }).setPriority('critical').build()));
    await waitFor(() => queued('critical', 1), 'the critical queued');

    server = ServerProcess.start(redis.url);
    await server.waitFor((l) => l.ready === true);
    expect(await Promise.all([urgent, ...backlog])).toEqual([0, 1, 2, 3, 4, 5]);
    // a reply can arrive (through Redis) before the server's line saying it handled the task (its stdout)
    const ordered = () => server!.lines.filter((l) => l.handled === 'ordered');
    await waitFor(() => ordered().length === 6, "the server's line for each of the six tasks");
    const order = ordered().map((l) => l.n);
    expect(order[0]).toBe(0);
    expect(order.slice(1)).toEqual([1, 2, 3, 4, 5]);

    // Promise and Observable replies (the last value of the Observable is the reply).
    await expect(lastValueFrom(client.send('speech_recognition', { clip: 'c1' }))).resolves.toEqual({ text: 'words of c1' });
    await expect(lastValueFrom(client.send('emotion_detection', { face: 'f1' }))).resolves.toEqual({ emotion: 'happy:f1' });

    // An RpcException reaches the caller as its error object, without retries.
    await expect(lastValueFrom(client.send('audio_denoising', {}))).rejects.toEqual({ code: 'BAD_AUDIO', message: 'sample rate not supported' });
    // Any other error fails the attempt: retried (the route's max_retries 1), then the caller gets the error.
    const failure = await lastValueFrom(client.send('video_enhancement', {})).catch((e: unknown) => e);
    expect(failure).toMatchObject({ status: 'error', name: 'RpcHandlerError' });
    expect((failure as { message: string }).message).toContain('video_enhancement');
    await waitFor(() => server!.lines.filter((l) => l.handled === 'video_enhancement').length >= 2, "the server's line for each attempt");
    expect(server.lines.filter((l) => l.handled === 'video_enhancement')).toHaveLength(2);
    // The reply is written when the handler fails for good; the queue dead-letters the message right after.
    await waitFor(async () => (await manager.queue('ai_tasks').deadLetters.list()).total > 0, 'the dead letter');
    expect((await manager.queue('ai_tasks').deadLetters.list()).items.map((d) => d.type)).toEqual(['video_enhancement']);

    // A reply timeout as an option of the message.
    const late = await lastValueFrom(client.send('slow', new QueueRecord({ ms: 2000 }, { timeoutMs: 200 }))).catch((e: unknown) => e);
    expect(late).toMatchObject({ status: 'error', name: 'DispatchTimeoutError' });
    await server.waitFor((l) => l.handled === 'slow' && l.done === true, 5000);

    // emit -> @EventPattern('meeting.*') in the other process.
    await lastValueFrom(client.emit('meeting.started', { id: 'm42' }));
    await server.waitFor((l) => l.event === 'meeting' && l.id === 'm42');

    // SIGTERM while a task runs, and SIGTERM again during the shutdown: the task still completes and replies.
    const slow = lastValueFrom(client.send('slow', new QueueRecord({ ms: 800 }, { timeoutMs: 10_000 })));
    const before = server.lines.filter((l) => l.handled === 'slow' && l.started).length;
    await server.waitFor(() => server!.lines.filter((l) => l.handled === 'slow' && l.started).length > before);
    server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 150));
    server.child.kill('SIGTERM');
    await expect(slow).resolves.toBe('slow done');
    const exit = await server.exited;
    expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
    expect(server.lines.filter((l) => l.handled === 'slow' && l.done).pop()).toMatchObject({ aborted: false });
    const stats = await manager.queue('ai_tasks').stats();
    expect(stats).toMatchObject({ processing_count: 0, queue_length: { critical: 0, high: 0, normal: 0, low: 0 } });
  }, 240_000);
});
