import Redis from 'ioredis';
import { inspect } from 'util';
import { createRedisClient, QueueAdmin, QueueManager, RedisAuthError, RedisPermissionError } from '../../src';
import { RedisServerHandle, spawnRedis, uniquePrefix } from '../../src/testing';
import { rejection, rejectionWithin, resolvesWithin, waitFor } from '../support/wait';
import { captureLogger } from './capture-logger';
import { publishAcceptedAgain, refusedCalls, startEchoService } from './refusal-scenario';

/*
 * Credentials or ACL rules changed under a running service: the password is rotated on the server
 * and the connections drop (ioredis reconnects and gets WRONGPASS), or the ACL user loses a
 * permission. Every call fails with the typed error (never the raw ioredis error, whose
 * `command.args` hold the AUTH arguments), the refusal is logged once with the masked URL, the
 * worker keeps retrying, and everything works again once the server accepts again.
 */

const PASSWORD = 'first-Secret-4711';
const ROTATED = 'rotated-Secret-0815';
const USER_PASSWORD = 'svc-Secret-2323';

let server: RedisServerHandle;

beforeAll(async () => {
  server = await spawnRedis({ password: PASSWORD });
});

afterAll(async () => {
  await server?.cleanup();
});

/** Everything an error exposes: message, stack, own properties. */
function everythingOf(error: unknown): string {
  return `${String(error)}\n${(error as Error).stack ?? ''}\n${inspect(error, { depth: 6, showHidden: true })}\n${JSON.stringify(error)}`;
}

/** Runs `work` on a connection of the test's own, with the server's password of the moment. */
async function withAdmin<T>(password: string, work: (admin: Redis) => Promise<T>): Promise<T> {
  const admin = new Redis({ host: server.host, port: server.port, password, maxRetriesPerRequest: 1 });
  try {
    return await work(admin);
  } finally {
    admin.disconnect();
  }
}

/** Runs commands on a connection of the test's own, with the server's password of the moment. */
function asAdmin(password: string, ...commands: string[][]): Promise<void> {
  return withAdmin(password, async (admin) => {
    for (const [name, ...args] of commands) await admin.call(name, ...args);
  });
}

/** CLIENT LIST, with the password of the moment being PASSWORD. */
function clientList(): Promise<string> {
  return withAdmin(PASSWORD, async (admin) => String(await admin.call('CLIENT', 'LIST')));
}

/** Sets the server's password and drops the library's connections (the test's own connection stays). */
async function rotatePassword(from: string, to: string): Promise<void> {
  await asAdmin(from, ['CONFIG', 'SET', 'requirepass', to], ['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']);
}

function config(redis: Record<string, unknown>) {
  return {
    service_name: 'refusal-test',
    redis: { host: server.host, port: server.port, key_prefix: uniquePrefix('refusal'), ...redis },
    event_bus: { type: 'redis_stream' },
    metrics: { enabled: false },
  };
}

describe('Redis refusing a running service', () => {
  it('a rotated password: publishes, events and admin calls reject with RedisAuthError; the worker and the stream reader resume once it is restored', async () => {
    const { logger, text, lines } = captureLogger();
    const manager = await QueueManager.create(config({ password: PASSWORD }), { env: {}, logger });
    const admin = await QueueAdmin.fromConfig(manager.config, 5000, logger);
    try {
      const { done, received } = await startEchoService(manager);

      await rotatePassword(PASSWORD, ROTATED);
      const errors = await refusedCalls(manager, admin);
      for (const error of errors) {
        expect(error).toBeInstanceOf(RedisAuthError);
        expect((error as Error).message).toContain(`Redis redis://127.0.0.1:${server.port}/0 refused the credentials (WRONGPASS`);
        expect(everythingOf(error)).not.toContain(PASSWORD);
        expect(everythingOf(error)).not.toContain(ROTATED);
      }
      // logged once for the outage (masked URL), however often the connections retry meanwhile
      const refusedLines = () => lines.filter((line) => line.startsWith('warn [root] Redis ') && line.includes('refused the credentials'));
      await waitFor(() => refusedLines().length > 0, 'the refusal logged');

      await rotatePassword(ROTATED, PASSWORD);
      await publishAcceptedAgain(manager, 3);
      await waitFor(() => done.includes(3), 'the worker taking tasks again');
      await manager.publishEvent('meeting.started', 'meeting.started', { id: 'm2' });
      await waitFor(() => received.includes('m2'), 'the stream reader taking events again');
      // the admin's own connection resumes on its own backoff
      await waitFor(() => resolvesWithin(admin.info(manager.config.message_queue.queue_name)), 'an admin call accepted again');
      expect((await admin.info(manager.config.message_queue.queue_name)).name).toBe(manager.config.message_queue.queue_name);
      expect(refusedLines()).toHaveLength(1);
      expect(text()).not.toContain(PASSWORD);
      expect(text()).not.toContain(ROTATED);
    } finally {
      await admin.close();
      await manager.shutdown({ drainTimeoutMs: 1000 });
    }
  });

  it('a command in flight when the connection drops (ioredis would resend it only once ready) rejects with RedisAuthError too', async () => {
    const { logger } = captureLogger();
    const client = createRedisClient({ host: server.host, port: server.port, password: PASSWORD, logger });
    try {
      await client.ping();
      const blocked = rejection(client.blpop(`${uniquePrefix('refusal')}:never`, 0));
      await waitFor(async () => /cmd=blpop/.test(await clientList()), 'the BLPOP on the server');
      await rotatePassword(PASSWORD, ROTATED);
      const error = await blocked;
      expect(error).toBeInstanceOf(RedisAuthError);
      expect(everythingOf(error)).not.toContain(PASSWORD);
      await rotatePassword(ROTATED, PASSWORD);
      await waitFor(async () => (await client.ping().catch(() => null)) === 'PONG', 'the client working again');
    } finally {
      client.disconnect();
    }
  });

  it('subscribe() on the redis_pubsub bus rejects at once with RedisAuthError while the server refuses; a later one works once it is restored', async () => {
    const { logger } = captureLogger();
    const manager = await QueueManager.create({ ...config({ password: PASSWORD }), event_bus: { type: 'redis_pubsub' } }, { env: {}, logger });
    const received: string[] = [];
    const handler = (event: { data?: unknown }) => void received.push(String((event.data as { id: string }).id));
    try {
      await manager.start();
      await rotatePassword(PASSWORD, ROTATED);
      // the bus opens its subscriber connection now: refused
      const first = await rejectionWithin(manager.subscribe('meeting.started', handler));
      // and again while that connection waits for its next attempt
      const second = await rejectionWithin(manager.subscribe('meeting.started', handler));
      for (const error of [first, second]) {
        expect(error).toBeInstanceOf(RedisAuthError);
        expect((error as Error).message).toContain(`Redis redis://127.0.0.1:${server.port}/0 refused the credentials (WRONGPASS`);
        expect(everythingOf(error)).not.toContain(PASSWORD);
      }

      await rotatePassword(ROTATED, PASSWORD);
      await waitFor(() => resolvesWithin(manager.subscribe('meeting.started', handler)), 'a subscribe accepted again');
      // the command connection resumes on its own backoff, not with the subscriber's
      await waitFor(() => resolvesWithin(manager.publishEvent('meeting.started', 'meeting.started', { id: 'm1' })), 'a publish accepted again');
      await waitFor(() => received.includes('m1'), 'the event');
    } finally {
      await manager.shutdown({ drainTimeoutMs: 1000 });
    }
  });

  it('an ACL rule narrowed at run time: calls reject with RedisPermissionError naming the command; the worker resumes once it is widened', async () => {
    const rule = '~* &* -@all +@read +@write +@scripting +@pubsub +@connection -@dangerous +info +time';
    await asAdmin(PASSWORD, ['ACL', 'SETUSER', 'svc', 'reset', 'on', `>${USER_PASSWORD}`, ...rule.split(' ')]);
    const { logger, text } = captureLogger();
    const manager = await QueueManager.create(config({ username: 'svc', password: USER_PASSWORD }), { env: {}, logger });
    const done: number[] = [];
    try {
      manager.registerTaskHandler('echo', (payload: { n: number }) => void done.push(payload.n));
      await manager.start();
      await manager.queue().publish({ type: 'echo', payload: { n: 1 } });
      await waitFor(() => done.includes(1), 'the first task');

      await asAdmin(PASSWORD, ['ACL', 'SETUSER', 'svc', '-@scripting']);
      const errors = [
        await rejectionWithin(manager.queue().publish({ type: 'echo', payload: { n: 2 } })),
        await rejectionWithin(manager.publishEvent('meeting.started', 'meeting.started', { id: 'm1' })),
      ];
      for (const error of errors) {
        expect(error).toBeInstanceOf(RedisPermissionError);
        expect((error as Error).message).toMatch(/the ACL user lacks a permission the library needs \(NOPERM .*; command EVAL(SHA)?\)/);
        expect(everythingOf(error)).not.toContain(USER_PASSWORD);
      }

      await asAdmin(PASSWORD, ['ACL', 'SETUSER', 'svc', '+@scripting']);
      await publishAcceptedAgain(manager, 3);
      await waitFor(() => done.includes(3), 'the worker taking tasks again');
      expect(text()).not.toContain(USER_PASSWORD);
    } finally {
      await manager.shutdown({ drainTimeoutMs: 1000 });
    }
  });
});
