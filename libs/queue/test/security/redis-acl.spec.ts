import { readFileSync } from 'fs';
import { join } from 'path';
import { QueueClosedError, QueueManager, RedisAuthError, RedisPermissionError, RedisStartupError } from '../../src';
import { RedisServerHandle, spawnRedis } from '../../src/testing';
import { waitFor } from '../support/wait';
import { captureLogger } from './capture-logger';

/*
 * Redis with `requirepass`, and an ACL user limited to the library's key prefix and channels: the
 * queue, both event buses (with a pattern subscription), the scheduler and the dispatcher work end
 * to end; wrong credentials and missing permissions fail QueueManager.create at once with a typed
 * error and one clear line.
 */

const ADMIN_PASSWORD = 'admin-Secret-4711';
const USER_PASSWORD = 'svc-Secret-0815';
/** The least-privilege rule of docs/security.md for the key prefix `mq` (a test below keeps them equal). */
const LEAST_PRIVILEGE = '~mq:* &mq:* -@all +@read +@write +@scripting +@pubsub +@connection -@dangerous +info +time';

let server: RedisServerHandle;

beforeAll(async () => {
  server = await spawnRedis({ password: ADMIN_PASSWORD });
});

afterAll(async () => {
  await server?.cleanup();
});

async function aclUser(name: string, rule: string): Promise<void> {
  const admin = server.client();
  try {
    await admin.call('ACL', 'SETUSER', name, 'reset', 'on', `>${USER_PASSWORD}`, ...rule.split(' '));
  } finally {
    admin.disconnect();
  }
}

function config(redis: Record<string, unknown>, busType: 'redis_pubsub' | 'redis_stream') {
  return {
    service_name: 'acl-test',
    redis: { host: server.host, port: server.port, connect_timeout_ms: 120_000, ...redis },
    event_bus: { type: busType },
    task_dispatcher: { routes: { echo: { queue: 'meeting_system' } } },
    metrics: { enabled: false },
  };
}

/** Queue, events (exact and pattern), scheduler and dispatcher through one manager. */
async function everything(manager: QueueManager): Promise<void> {
  const tasks: string[] = [];
  const events: string[] = [];
  manager.registerTaskHandler('echo', (payload: { n: number }) => {
    tasks.push(String(payload.n));
    return payload.n * 2;
  });
  void manager.subscribe('meeting.*', (event) => void events.push(`pattern:${event.type}`));
  void manager.subscribe('meeting.started', (event) => void events.push(`exact:${event.type}`));
  await manager.start();
  await manager.queue().publish({ type: 'echo', payload: { n: 1 } });
  await manager.publishEvent('meeting.started', 'meeting.started', { id: 'm1' });
  await manager.scheduler.schedule({ type: 'echo', payload: { n: 2 } }, { delayMs: 10 });
  await manager.scheduler.schedule({ type: 'echo', payload: { n: 3 } }, { everyMs: 60_000, key: 'every-minute' });
  expect(await manager.dispatcher.dispatchAndWait('echo', { n: 4 }, { timeoutMs: 10_000 })).toBe(8);
  await waitFor(() => tasks.includes('1') && tasks.includes('2') && events.length === 2, 'tasks, scheduled task and both events');
  expect(events.sort()).toEqual(['exact:meeting.started', 'pattern:meeting.started']);
  expect((await manager.scheduler.list()).map((s) => s.key)).toContain('every-minute');
  await manager.scheduler.cancel('recurring:every-minute');
}

describe('requirepass and ACL users', () => {
  it('docs/security.md states the rule this spec runs with', () => {
    expect(readFileSync(join(__dirname, '../../../../docs/security.md'), 'utf8')).toContain(LEAST_PRIVILEGE);
  });

  for (const busType of ['redis_pubsub', 'redis_stream'] as const) {
    it(`works end to end with requirepass (${busType})`, async () => {
      const { logger, text } = captureLogger();
      const manager = await QueueManager.create(config({ password: ADMIN_PASSWORD }, busType), { env: {}, logger });
      try {
        await everything(manager);
      } finally {
        await manager.shutdown({ drainTimeoutMs: 1000 });
      }
      expect(text()).not.toContain(ADMIN_PASSWORD);
    });

    it(`works end to end for an ACL user limited to ~mq:* &mq:* (${busType})`, async () => {
      await aclUser('svc', LEAST_PRIVILEGE);
      const { logger, text } = captureLogger();
      const manager = await QueueManager.create(config({ username: 'svc', password: USER_PASSWORD }, busType), { env: {}, logger });
      try {
        await everything(manager);
      } finally {
        await manager.shutdown({ drainTimeoutMs: 1000 });
      }
      expect(text()).not.toContain(USER_PASSWORD);
      expect(text()).not.toMatch(/NOPERM/);
      // PSUBSCRIBE mq:ev:meeting.* is refused by &mq:* (literal match): received through mq:* instead
      if (busType === 'redis_pubsub') expect(text()).toMatch(/pattern "meeting\.\*" received through "mq:\*"/);
    });
  }

  it('degrades the start-up checks to a warning when INFO and CONFIG are refused (-@dangerous without +info)', async () => {
    await aclUser('nodanger', '~mq:* &mq:* -@all +@read +@write +@scripting +@pubsub +@connection -@dangerous +time');
    const { logger, text } = captureLogger();
    const manager = await QueueManager.create(config({ username: 'nodanger', password: USER_PASSWORD }, 'redis_pubsub'), { env: {}, logger });
    try {
      expect(manager.redisReport?.warnings.join('\n')).toMatch(/INFO .*refused/);
      await everything(manager);
    } finally {
      await manager.shutdown({ drainTimeoutMs: 1000 });
    }
    expect(text()).toMatch(/warn .*INFO .*refused/);
  });

  it('start() is all or nothing: a refused subscription stops the task workers that had started', async () => {
    // keys under mq:, but only one channel: subscriptions elsewhere are refused
    await aclUser('onechannel', '~mq:* &mq:ev:allowed -@all +@read +@write +@scripting +@pubsub +@connection +info +time');
    const { logger, text } = captureLogger();
    const manager = await QueueManager.create(
      {
        ...config({ username: 'onechannel', password: USER_PASSWORD }, 'redis_pubsub'),
        task_scheduler: { enabled: false },
        task_dispatcher: { enabled: false },
      },
      { env: {}, logger },
    );
    const ran: string[] = [];
    manager.registerTaskHandler('echo', () => void ran.push('echo'));
    const refused = manager.subscribe('not-allowed', () => undefined);
    const after = manager.subscribe('allowed', () => undefined); // would be allowed, but comes after the refused one
    await expect(manager.start()).rejects.toThrow(RedisPermissionError);
    await expect(refused).rejects.toThrow(/may not subscribe to the channel "mq:ev:not-allowed" \(NOPERM/);
    await expect(after).rejects.toThrow(RedisPermissionError); // not left pending for ever
    expect(manager.state).toBe('stopped');
    expect(text()).toMatch(/start failed, stopping what had started \(nothing runs\)/);
    // the queue that had started its workers is closed again: nothing of this manager runs
    await expect(manager.queue().publish({ type: 'echo' })).rejects.toBeInstanceOf(QueueClosedError);
    expect(ran).toEqual([]);
  });

  it('fails QueueManager.create at once with RedisAuthError for a wrong password, with one clear line and no secret', async () => {
    const { logger, text } = captureLogger();
    const error = await QueueManager.create(config({ username: 'svc', password: 'wrong-Secret-999' }, 'redis_pubsub'), { env: {}, logger }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RedisAuthError);
    expect(error).not.toBeInstanceOf(RedisStartupError);
    expect((error as Error).message).toMatch(/refused the credentials \(WRONGPASS.*check redis.username and redis.password/);
    expect((error as Error).message.split('\n')).toHaveLength(1);
    expect(`${(error as Error).message}\n${(error as Error).stack}\n${text()}`).not.toContain('wrong-Secret-999');
  });

  it('fails at once with RedisAuthError when the password is missing (NOAUTH)', async () => {
    const error = await QueueManager.create(config({}, 'redis_pubsub'), { env: {}, logger: captureLogger().logger }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisAuthError);
    expect((error as Error).message).toMatch(/requires a password \(NOAUTH/);
  });

  it('fails at once with RedisPermissionError when the user may not touch the key prefix', async () => {
    await aclUser('elsewhere', '~other:* &other:* -@all +@read +@write +@scripting +@pubsub +@connection +info +time');
    const error = await QueueManager.create(config({ username: 'elsewhere', password: USER_PASSWORD }, 'redis_pubsub'), {
      env: {},
      logger: captureLogger().logger,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisPermissionError);
    expect((error as Error).message).toMatch(/NOPERM/);
    expect((error as Error).message).toMatch(/mq:/);
  });
});
