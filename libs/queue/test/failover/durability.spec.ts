import { createQueue, DurabilityTimeoutError, QueueConfigError } from '../../src';
import { createRedisClient } from '../../src/redis/redis-connection';
import { parseConfig } from '../../src/config/config-loader';
import { queueOptionsFromConfig } from '../../src/manager/queue-options-from-config';
import { QueueKeys } from '../../src/queue/redis/queue-keys';
import { createScheduler } from '../../src/scheduler/create-scheduler';
import { spawnRedis, RedisServerHandle, uniquePrefix } from '../../src/testing';
import { waitFor } from '../support/wait';
import { silentLogger } from './silent-logger';

/**
 * The `durability` option (issue 13): acknowledged writes wait for replicas (Redis WAIT). A
 * publish the replicas do not confirm in time rejects with DurabilityTimeoutError (stored on the
 * master all the same); a worker-side write is logged and counted; memory accepts the option.
 */
describe('durability option', () => {
  let master: RedisServerHandle;
  let replica: RedisServerHandle | undefined;
  beforeAll(async () => {
    master = await spawnRedis();
  });
  afterAll(async () => {
    await replica?.cleanup();
    await master?.cleanup();
  });

  test('without a replica: a publish rejects with DurabilityTimeoutError, yet is stored; a completion is logged and counted', async () => {
    const client = master.client();
    const logger = silentLogger();
    const timeouts: string[] = [];
    const queue = createQueue({
      name: 'dur-none',
      backend: { type: 'redis', client, prefix: uniquePrefix('dur') },
      durability: { replicas: 1, timeoutMs: 20 },
      observer: { durabilityTimeout: (_queue, operation) => timeouts.push(operation) },
      logger,
      idleBlockMs: 100,
    });
    const error = await queue.publish({ type: 't', payload: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DurabilityTimeoutError);
    expect(error).toMatchObject({ code: 'DURABILITY_TIMEOUT', operation: 'publish', replicas: 1, acknowledged: 0, timeoutMs: 20 });
    expect((error as Error).message).toContain('queue "dur-none"');
    expect((await queue.stats()).queue_length.normal).toBe(1);
    let ran = 0;
    queue.process('t', async () => void ran++);
    await waitFor(() => timeouts.includes('completion'), 'the completion reported as not replicated');
    expect(ran).toBe(1);
    expect(logger.lines.some((line) => line.startsWith('warn completion on queue "dur-none"'))).toBe(true);
    await waitFor(async () => (await queue.stats()).total_processed === 1, 'the completion applied on the master');
    await queue.close();
  });

  test('with a replica in sync: a publish resolves once the replica has the message', async () => {
    replica = await spawnRedis({ args: ['--replicaof', master.host, String(master.port)] });
    const replicaClient = replica.client();
    await waitFor(async () => (await replicaClient.info('replication')).includes('master_link_status:up'), 'the replica in sync');
    const client = master.client();
    const prefix = uniquePrefix('dur');
    const queue = createQueue({ name: 'dur-one', backend: { type: 'redis', client, prefix }, durability: { replicas: 1, timeoutMs: 5000 } });
    const keys = new QueueKeys(prefix, 'dur-one');
    for (let i = 0; i < 20; i++) {
      const id = await queue.publish({ type: 't', payload: i });
      // WAIT returned 1: the replica has applied the write (its own copy answers at once).
      expect(await replicaClient.hexists(keys.msgs, id)).toBe(1);
    }
    const ids = await queue.publishBatch([{ type: 't' }, { type: 't' }]);
    expect(await replicaClient.hmget(keys.msgs, ...ids)).not.toContain(null);
    await queue.close();
  });

  test("a timeout not under the Redis client's socket timeout is refused naming the option (the WAIT would be cut off)", () => {
    const client = createRedisClient({ url: master.url, socketTimeoutMs: 2000, logger: silentLogger() });
    try {
      const open = (timeoutMs: number) => createQueue({ name: 'dur-wait', backend: { type: 'redis', client }, durability: { replicas: 1, timeoutMs } });
      expect(() => open(2000)).toThrow(QueueConfigError);
      expect(() => open(2000)).toThrow(/durability\.timeoutMs: expected for queue "dur-wait" less than the Redis client's socket timeout, 2000 ms/);
      void open(1999).close();
    } finally {
      client.disconnect();
    }
  });

  test('the memory backend accepts the option and ignores it', async () => {
    const queue = createQueue({ name: 'dur-mem', backend: { type: 'memory' }, durability: { replicas: 2, timeoutMs: 10 } });
    expect(typeof (await queue.publish({ type: 't' }))).toBe('string');
    await queue.close();
  });

  test('bad values are refused naming the option', () => {
    expect(() => createQueue({ name: 'dur-bad', backend: { type: 'memory' }, durability: { replicas: -1 } })).toThrow(/queue\.durability\.replicas/);
    expect(() => createQueue({ name: 'dur-bad', backend: { type: 'memory' }, durability: { timeoutMs: 0 } })).toThrow(/queue\.durability\.timeoutMs/);
    expect(() => parseConfig({ message_queue: { durability: { replicas: 'one' } } })).toThrow(/message_queue\.durability\.replicas/);
  });

  test('config: message_queue.durability is the default, queues.<name>.durability overrides it', () => {
    const config = parseConfig({
      message_queue: { durability: { replicas: 1, timeout_ms: 250 }, queues: { critical: { durability: { replicas: 2 } }, plain: {} } },
    });
    expect(queueOptionsFromConfig(config, 'plain').durability).toEqual({ replicas: 1, timeoutMs: 250 });
    expect(queueOptionsFromConfig(config, 'critical').durability).toEqual({ replicas: 2, timeoutMs: 250 });
    expect(parseConfig({}).message_queue.durability).toEqual({ replicas: 0, timeout_ms: 1000 });
  });

  test('scheduler: scheduling a task rejects when no replica confirms it', async () => {
    const client = master.client();
    await replica?.kill();
    const scheduler = createScheduler({
      backend: { type: 'redis', client, prefix: uniquePrefix('dur-sch'), durability: { replicas: 1, timeoutMs: 20 } },
      name: 'dur',
      autoStart: false,
      logger: silentLogger(),
    });
    const error = await scheduler.schedule({ type: 't', queue: 'q' }, { everyMs: 60_000, key: 'k' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DurabilityTimeoutError);
    expect((error as Error).message).toContain('schedule on scheduler "dur"');
    await scheduler.close();
  });
});
