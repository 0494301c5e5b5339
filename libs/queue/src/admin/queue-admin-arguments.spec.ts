/** QueueAdmin refuses bad arguments with an InvalidOptionError named after the method called, before reading or changing anything. */
import type Redis from 'ioredis';
import { parseConfig } from '../config/config-loader';
import { InvalidOptionError } from '../errors';
import { createQueue } from '../queue/create-queue';
import { RedisServerHandle, spawnRedis, uniquePrefix, waitFor } from '../testing';
import { QueueAdmin, QueueAdminOptions } from './queue-admin';

/** What a refused call rejects (or throws) with: an InvalidOptionError at `path`. */
const refused = (path: string) => expect.objectContaining({ name: 'InvalidOptionError', code: 'INVALID_OPTION', path });

/** Calls `call` with values of the wrong type or shape (the API's own types would not compile them). */
const loose = <T>(value: unknown): T => value as T;

/** What `call` throws (undefined: nothing). */
function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('QueueAdmin arguments', () => {
  let server: RedisServerHandle;
  let client: Redis;
  let admin: QueueAdmin;
  let ids: string[];

  beforeAll(async () => {
    server = await spawnRedis();
    client = server.client();
    const prefix = uniquePrefix('admargs');
    const work = createQueue({ name: 'work', maxRetries: 0, backend: { type: 'redis', client, prefix } });
    const fail = async () => {
      throw new Error('boom');
    };
    work.process('a', fail);
    work.process('b', fail);
    ids = await work.publishBatch(Array.from({ length: 10 }, (_, i) => ({ type: i % 2 === 0 ? 'a' : 'b' })));
    await waitFor(async () => (await work.stats()).dead_letter_count === 10, 'ten dead letters');
    await work.close();
    admin = new QueueAdmin({ client, prefix });
  }, 30_000);

  afterAll(async () => {
    await admin?.close();
    client?.disconnect();
    await server?.cleanup();
  });

  /** Every dead letter is still there. */
  const allTen = async () => {
    const { items, total } = await admin.deadLetters('work');
    expect(total).toBe(10);
    expect(items.map((d) => d.id).sort()).toEqual([...ids].sort());
  };

  describe('dead-letter filters (purgeMatching, replayMatching, deadLetters)', () => {
    const badFilters: Array<[string, unknown, string]> = [
      ['a misspelt key', { tpye: 'a' }, 'filter.tpye'],
      ['since as a string', { since: '2099-01-01' }, 'filter.since'],
      ['since NaN', { type: 'a', since: NaN }, 'filter.since'],
      ['a negative since', { since: -1 }, 'filter.since'],
      ['a fractional limit', { limit: 2.5 }, 'filter.limit'],
      ['limit NaN', { limit: NaN }, 'filter.limit'],
      ['a negative limit', { limit: -1 }, 'filter.limit'],
      ['limit 0', { limit: 0 }, 'filter.limit'],
      ['a limit past the bound', { limit: 1e9 }, 'filter.limit'],
      ['a type that is no task type', { type: 'a|b' }, 'filter.type'],
      ['a type that is not a string', { type: 42 }, 'filter.type'],
      ['null', null, 'filter'],
      ['a string', 'a', 'filter'],
      ['an array', ['a'], 'filter'],
    ];

    it.each(badFilters)('refuses %s before reading or deleting anything', async (_what, filter, path) => {
      const list = jest.spyOn(admin.queue('work').deadLetters, 'list');
      let outcomes: unknown[];
      let reads: number;
      try {
        outcomes = await Promise.all([
          admin.purgeMatching('work', loose(filter)).catch((e: unknown) => e),
          admin.replayMatching('work', loose(filter)).catch((e: unknown) => e),
          admin.deadLetters('work', loose(filter)).catch((e: unknown) => e),
        ]);
        reads = list.mock.calls.length;
      } finally {
        list.mockRestore();
      }
      await allTen();
      expect(reads).toBe(0);
      expect(outcomes).toEqual([refused(`purgeMatching.${path}`), refused(`replayMatching.${path}`), refused(`deadLetters.${path}`)]);
    });

    it('refuses a scanMax that is not an integer in [0, 1000000]', async () => {
      for (const scanMax of [NaN, -5, 1.5, 2_000_000, '10']) {
        await expect(admin.deadLetters('work', { type: 'a' }, loose(scanMax))).rejects.toEqual(refused('deadLetters.scanMax'));
      }
    });

    it('still applies a good filter (and keys present but undefined, as `mq dlq` passes them)', async () => {
      const found = await admin.deadLetters('work', { type: 'a', since: 0, limit: 2 }, 0);
      expect(found.items.map((d) => d.type)).toEqual(['a', 'a']);
      expect((await admin.deadLetters('work', { type: undefined, since: undefined, limit: undefined })).items).toHaveLength(10);
    });
  });

  describe('tail', () => {
    it('refuses a missing listener, an unknown mode and an empty or malformed channel at the call', async () => {
      await expect(admin.tail('room.events', 'stream', loose(undefined))).rejects.toEqual(refused('tail.onEvent'));
      await expect(admin.tail('room.events', loose('pubsb'), () => undefined)).rejects.toEqual(refused('tail.mode'));
      await expect(admin.tail('', 'pubsub', () => undefined)).rejects.toEqual(refused('tail.channel'));
      await expect(admin.tail('room.*', 'stream', () => undefined)).rejects.toEqual(refused('tail.channel'));
      await expect(admin.tail(loose(42), 'pubsub', () => undefined)).rejects.toEqual(refused('tail.channel'));
    });
  });

  describe('every other method', () => {
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['deadLetters.filter', () => admin.deadLetters('work', loose(null))],
      ['inflight.lmit', () => admin.inflight('work', loose({ lmit: 5 }))],
      ['inflight.limit', () => admin.inflight('work', { limit: 0 })],
      ['inflight.options', () => admin.inflight('work', loose(null))],
      ['peek.options', () => admin.peek('work', 'normal', loose(5))],
      ['pubsub.sampel', () => admin.pubsub(loose({ sampel: true }))],
      ['pubsub.sample', () => admin.pubsub(loose({ sample: 'yes' }))],
      ['replay.ids', () => admin.replay('work', loose('abc'))],
      ['replay.ids', () => admin.replay('work', loose(undefined))],
      ['replay.ids[1]', () => admin.replay('work', loose([ids[0], 7]))],
      ['deleteDeadLetters.ids[0]', () => admin.deleteDeadLetters('work', loose([{}]))],
      ['exists.name', () => admin.exists(loose(42))],
      ['exists.name', () => admin.exists(loose(undefined))],
      ['groups.channel', () => admin.groups(loose(42))],
      ['groups.channel', () => admin.groups('')],
      ['cancelSchedule.id', () => admin.cancelSchedule(loose(42))],
      ['cancelSchedule.schedulerName', () => admin.cancelSchedule('once:x', loose(7))],
      ['schedules.schedulerName', () => admin.schedules('bad name')],
      ['queueGroups.limit', () => admin.queueGroups('work', NaN)],
      ['rateLimits.scanMax', () => admin.rateLimits('work', -1)],
      ['info.name', () => admin.info(loose(42))],
      ['workers.name', () => admin.workers('bad{name')],
      ['peek.target', () => admin.peek('work', loose('nowhere'))],
      ['peek.offset', () => admin.peek('work', 'normal', { offset: -1 })],
      ['status.id', () => admin.status('work', loose(42))],
      ['deadLetter.id', () => admin.deadLetter('work', '')],
      ['pause.name', () => admin.pause(loose(undefined))],
      ['resume.name', () => admin.resume(loose(null))],
      ['publish.type', () => admin.publish('work', 'a|b', null)],
      ['publish.priority', () => admin.publish('work', 'a', null, loose('urgent'))],
      ['purgeMatching.name', () => admin.purgeMatching(loose(42))],
      ['streamKey.channel', async () => admin.streamKey(loose(undefined))],
      ['fromConfig.connectTimeoutMs', () => QueueAdmin.fromConfig(parseConfig({}, { env: {} }), -1)],
      ['fromConfig.config', () => QueueAdmin.fromConfig(loose(null))],
    ];

    it.each(calls)('refuses a bad argument: %s', async (path, call) => {
      await expect(call()).rejects.toEqual(refused(path));
    });

    it('changed nothing while refusing', async () => {
      expect(await admin.info('work')).toMatchObject({ paused: false, deadLetters: 10, published: 10 });
      await allTen();
    });

    it('answers "not found" (false) for a well-typed name no queue can have', async () => {
      expect(await admin.exists('bad{name')).toBe(false);
    });
  });

  describe('new QueueAdmin', () => {
    const options: Array<[string, unknown]> = [
      ['queueAdmin.client', { client: undefined }],
      ['queueAdmin.client', { client: {} }],
      ['queueAdmin.prefx', { client: 'late', prefx: 'x' }],
      ['queueAdmin.prefix', { client: 'late', prefix: '' }],
      ['queueAdmin.eventPrefix', { client: 'late', eventPrefix: 'a b' }],
      ['queueAdmin.queueOptions', { client: 'late', queueOptions: {} }],
      ['queueAdmin.ownsClient', { client: 'late', ownsClient: 'yes' }],
      ['queueAdmin', null],
    ];

    it.each(options)('refuses a bad option: %s', (path, given) => {
      // `late`: the test's client (unknown keys are refused before the client is looked at)
      const value = given && typeof given === 'object' && (given as { client?: unknown }).client === 'late' ? { ...given, client } : given;
      const error = thrown(() => new QueueAdmin(loose<QueueAdminOptions>(value)));
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toEqual(refused(path));
    });
  });
});
