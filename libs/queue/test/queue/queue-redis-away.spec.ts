import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import { join, resolve } from 'path';
import { createEventBus, createQueue, createRedisClient, PublishTimeoutError, QueueManager, RedisOutageLogger } from '../../src';
import { DEFAULT_EVENT_BUS_PREFIX } from '../../src/events/event-bus-options';
import { RedisServerHandle, spawnRedis, uniquePrefix } from '../../src/testing';
import { freePort } from '../../src/redis/redis-server-process';
import { waitFor } from '../support/wait';

/** Collects log lines (what a Nest Logger would print) for assertions. */
class CaptureLogger implements RedisOutageLogger {
  readonly lines: string[] = [];
  log(message: string): void {
    this.lines.push(`log ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`warn ${message}`);
  }
  error(message: string): void {
    this.lines.push(`error ${message}`);
  }
  debug(): void {}
  verbose(): void {}
  matching(pattern: RegExp): string[] {
    return this.lines.filter((l) => pattern.test(l));
  }
}

const UNHANDLED = '[ioredis] Unhandled error event';
const ROOT = resolve(__dirname, '../../../..');

type Line = { ready?: boolean; handled?: string; event?: string; group?: string; level?: string; line?: string };

/** test/fixtures/redis-away.ts in a child process: its JSON stdout lines and its raw stderr. */
class AwayFixture {
  readonly lines: Line[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(redisUrl: string, args: string[] = []) {
    const env: NodeJS.ProcessEnv = { ...process.env, REDIS_TEST_URL: redisUrl, NO_COLOR: '1' };
    delete env.REDIS_URL;
    this.child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(ROOT, 'libs/queue/test/fixtures/redis-away.ts'), ...args], {
      cwd: ROOT,
      env,
      stdio: 'pipe',
    });
    // Lines of both streams: the fixture's own JSON lines (stdout) and the default logger's lines
    // (group `Redis`: warnings such as "unreachable" go to stderr, the rest to stdout).
    const splitter = () => {
      let partial = '';
      return (chunk: Buffer) => {
        const parts = (partial + chunk.toString()).split('\n');
        partial = parts.pop() ?? '';
        for (const part of parts.filter(Boolean)) this.lines.push(parseLine(part));
      };
    };
    const outLines = splitter();
    const errLines = splitter();
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
      outLines(chunk);
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
      errLines(chunk);
    });
    this.exited = new Promise((done) => this.child.once('exit', (code) => done(code)));
  }

  send(command: string): void {
    this.child.stdin.write(`${command}\n`);
  }

  count(match: (l: Line) => boolean): number {
    return this.lines.filter(match).length;
  }

  /** Outage lines (`unreachable`, `back after`) of every group; the default logger's lines (`[Redis] ...`) count as group `Redis`. */
  outageLines(pattern: string): Line[] {
    return this.lines.filter((l) => l.line?.includes(pattern) && l.line.startsWith('Redis '));
  }

  async waitFor(check: (l: Line) => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    await waitFor(
      () => {
        if (this.child.exitCode !== null) throw new Error(`fixture exited (${this.child.exitCode}) waiting for ${what}; stderr: ${this.stderr.slice(-2000)}`);
        return this.lines.some(check) || check({});
      },
      `${what}; stdout tail: ${this.stdout.slice(-1500)}; stderr tail: ${this.stderr.slice(-500)}`,
      timeoutMs,
      20,
    );
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/** A fixture JSON line, or a line of the Nest logger (`[Nest] pid - date LEVEL [Redis] message`) as group `Redis`. */
function parseLine(text: string): Line {
  try {
    return JSON.parse(text) as Line;
  } catch {
    const nest = /\[(Redis)\] (.*)$/.exec(text);
    return nest ? { group: nest[1], line: nest[2].trim() } : {};
  }
}

describe('Redis away: publish timeout, outage logs', () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await spawnRedis({ password: 's3cret' });
  });
  afterEach(async () => server.restart());
  afterAll(async () => server?.cleanup());

  const url = () => `redis://:s3cret@${server.host}:${server.port}`;

  test('publish and publishBatch fail with PublishTimeoutError while Redis is away, work again after it is back; one outage = one "unreachable" and one "back" line', async () => {
    const logger = new CaptureLogger();
    const client = createRedisClient({ url: url(), logger });
    const queue = createQueue({ name: 'away', backend: { type: 'redis', client, prefix: uniquePrefix('away') }, publishTimeoutMs: 300, idleBlockMs: 100 });
    const done: number[] = [];
    queue.process<number>('t', async (m) => void done.push(m.payload), { concurrency: 2 });
    await queue.publish({ type: 't', payload: 1 });
    await waitFor(() => done.includes(1), 'the first message handled (the blocking connection is open)');

    await server.stop();
    const started = performance.now();
    const error = await queue.publish({ type: 't', payload: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishTimeoutError);
    const timeout = error as PublishTimeoutError;
    expect(timeout).toMatchObject({ code: 'PUBLISH_TIMEOUT', queue: 'away', timeoutMs: 300, messageCount: 1 });
    expect(timeout.waitedMs).toBeGreaterThanOrEqual(300);
    expect(performance.now() - started).toBeGreaterThanOrEqual(299);
    expect(timeout.message).toMatch(/queue "away" got no answer from Redis after \d+ ms .*may or may not have been stored/);
    const batchError = await queue
      .publishBatch([
        { type: 't', payload: 3 },
        { type: 't', payload: 4 },
      ])
      .catch((e: unknown) => e);
    expect(batchError).toBeInstanceOf(PublishTimeoutError);
    expect(batchError).toMatchObject({ queue: 'away', messageCount: 2 });
    await waitFor(() => logger.matching(/unreachable/).length > 0, 'the outage logged');

    await server.restart();
    await waitFor(() => logger.matching(/ back after /).length > 0, 'the end of the outage logged');
    await queue.publish({ type: 't', payload: 5 });
    await waitFor(() => done.includes(5), 'a publish after the restart handled');

    // the command connection and the queue's blocking connection: one group, one line each way
    expect(logger.matching(/unreachable/)).toEqual([expect.stringMatching(/^warn Redis redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ unreachable: .+/)]);
    expect(logger.matching(/ back after /)).toEqual([expect.stringMatching(/^log Redis redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ back after \d+ ms/)]);
    expect(logger.lines.join('\n')).not.toContain('s3cret');
    await queue.close();
    client.disconnect();
  });

  test('publishTimeoutMs 0 waits for Redis without bound', async () => {
    const client = createRedisClient({ url: url(), logger: new CaptureLogger() });
    const queue = createQueue({ name: 'wait', backend: { type: 'redis', client, prefix: uniquePrefix('wait') }, publishTimeoutMs: 0 });
    await server.stop();
    let settled = false;
    const publishing = queue.publish({ type: 't' }).finally(() => (settled = true));
    const downSince = Date.now();
    await waitFor(() => Date.now() - downSince > 500, 'longer than a short timeout would have waited');
    expect(settled).toBe(false);
    await server.restart();
    await expect(publishing).resolves.toEqual(expect.any(String));
    await queue.close();
    client.disconnect();
  });

  test('every connection has an error listener: one "unreachable" and one "back" line per connection group, nothing on stderr (child process)', async () => {
    const fixture = new AwayFixture(url());
    try {
      await fixture.waitFor((l) => l.ready === true, 'the fixture ready (ts-node start)', 90_000);
      fixture.send('work');
      await fixture.waitFor(
        () => fixture.count((l) => l.handled !== undefined) === 3 && fixture.count((l) => l.event !== undefined) === 2,
        'three tasks and two events handled before the outage',
      );

      await server.stop();
      await fixture.waitFor(() => fixture.outageLines('unreachable').length === 3, 'an "unreachable" line from each of the 3 groups');
      await server.restart();
      await fixture.waitFor(() => fixture.outageLines(' back after ').length === 3, 'a "back" line from each of the 3 groups', 20_000);
      fixture.send('work');
      await fixture.waitFor(
        () => fixture.count((l) => l.handled !== undefined) === 6 && fixture.count((l) => l.event !== undefined) === 4,
        'three tasks and two events handled after the outage',
      );
      fixture.send('stop');
      expect(await fixture.exited).toBe(0);

      const groups = (pattern: string) =>
        fixture
          .outageLines(pattern)
          .map((l) => l.group)
          .sort();
      expect(groups('unreachable')).toEqual(['Redis', 'manager', 'standalone']);
      expect(groups(' back after ')).toEqual(['Redis', 'manager', 'standalone']);
      for (const l of fixture.outageLines('unreachable')) expect(l.line).toMatch(/Redis redis:\/\/(:\*\*\*@)?127\.0\.0\.1:\d+(\/0)? unreachable: \S/);
      for (const l of fixture.outageLines(' back after ')) expect(l.line).toMatch(/ back after \d+ ms/);
      expect(fixture.stdout + fixture.stderr).not.toContain('s3cret');
      expect(fixture.stderr).not.toContain(UNHANDLED);
    } finally {
      fixture.kill();
    }
  }, 180_000);

  test('control: the same check sees a connection without an error listener', async () => {
    const fixture = new AwayFixture(`redis://127.0.0.1:${await freePort()}`, ['--control']);
    expect(await fixture.exited).toBe(0);
    expect(fixture.stderr).toContain(UNHANDLED);
  }, 120_000);
});

describe('event bus default prefix', () => {
  let server: RedisServerHandle;
  beforeAll(async () => {
    server = await spawnRedis();
  });
  afterAll(async () => server?.cleanup());

  test('createEventBus and a QueueManager with defaults use the same prefix and meet', async () => {
    expect(DEFAULT_EVENT_BUS_PREFIX).toBe('mq:ev');
    const manager = await QueueManager.create(
      {
        service_name: 'producer',
        redis: { url: server.url },
        event_bus: { type: 'redis_pubsub' },
        metrics: { default_metrics: false },
        task_scheduler: { enabled: false },
        task_dispatcher: { enabled: false },
      },
      { env: {} },
    );
    await manager.start();
    const client = createRedisClient({ url: server.url });
    const bus = createEventBus({ type: 'redis_pubsub', serviceName: 'consumer', client });
    const seen: string[] = [];
    await bus.subscribe('room.*', (event) => void seen.push(event.type));
    await waitFor(
      async () => {
        await manager.events.publish('room.1', 'joined');
        return seen.length > 0;
      },
      'an event of the manager reaching the standalone bus',
      10_000,
      100,
    );
    expect(seen[0]).toBe('joined');
    await bus.close();
    client.disconnect();
    await manager.shutdown();
  });
});
