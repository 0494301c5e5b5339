/**
 * The Nest transport refuses options it cannot use when a client, server or record is built, and
 * passes on every option a record may carry (`priority`, `group`, ...), none silently dropped.
 */
import { lastValueFrom } from 'rxjs';
import { InvalidOptionError, QueueConfigError } from '../../errors';
import { QueueManager } from '../../manager/queue-manager';
import { RedisServerHandle, spawnRedis } from '../../testing';
import { QueueClientProxy, QueueClientProxyOptions } from './queue-client.proxy';
import { QueueRecord, QueueRecordBuilder, QueueRecordOptions } from './queue-record';
import { QueueTransportServer, QueueTransportServerOptions } from './queue-transport.server';

describe('queue transport options', () => {
  const clientCases: Array<[string, unknown, string]> = [
    ['a misspelt timeoutMs', { timeoutMS: 50 }, 'queueClient.timeoutMS'],
    ['a timeoutMs of 0', { timeoutMs: 0 }, 'queueClient.timeoutMs'],
    ['a timeoutMs a timer cannot wait', { timeoutMs: 2 ** 31 }, 'queueClient.timeoutMs'],
    ['an unknown priority', { priority: 'urgent' }, 'queueClient.priority'],
    ['a manager that is not a QueueManager', { manager: {} }, 'queueClient.manager'],
    ['a config that is YAML text', { config: 'service_name: x' }, 'queueClient.config'],
    ['options that are null', null, 'queueClient'],
  ];
  it.each(clientCases)('QueueClientProxy refuses %s with QueueConfigError naming it', (_what, options, path) => {
    const create = () => new QueueClientProxy(options as QueueClientProxyOptions);
    expect(create).toThrow(QueueConfigError);
    expect(create).toThrow(expect.objectContaining({ code: 'QUEUE_CONFIG', path }));
  });

  const serverCases: Array<[string, unknown, string]> = [
    ['a misspelt concurrency', { concurency: 3 }, 'queueTransport.concurency'],
    ['a negative drainTimeoutMs', { drainTimeoutMs: -1 }, 'queueTransport.drainTimeoutMs'],
    ['a concurrency of 0', { concurrency: 0 }, 'queueTransport.concurrency'],
    ['a bad queue name', { queue: 'ai tasks' }, 'queueTransport.queue'],
    ['a manager that is not a QueueManager', { manager: 'm' }, 'queueTransport.manager'],
    ['options that are a string', 'config.yaml', 'queueTransport'],
  ];
  it.each(serverCases)('QueueTransportServer refuses %s with QueueConfigError naming it', (_what, options, path) => {
    const create = () => new QueueTransportServer(options as QueueTransportServerOptions);
    expect(create).toThrow(QueueConfigError);
    expect(create).toThrow(expect.objectContaining({ path }));
  });

  it('lists what the server takes', () => {
    expect(() => new QueueTransportServer({ concurency: 3 } as QueueTransportServerOptions)).toThrow(
      'queueTransport.concurency: expected a known option (manager, config, queue, concurrency, drainTimeoutMs), got "concurency"',
    );
    expect(() => new QueueTransportServer({ queue: 'ai_tasks', concurrency: 3, drainTimeoutMs: 0 })).not.toThrow();
    expect(() => new QueueClientProxy({ timeoutMs: 50, priority: 'high' })).not.toThrow();
  });

  it('QueueRecord refuses an option send does not take, with InvalidOptionError naming it', () => {
    const record = () => new QueueRecord(1, { priorty: 'critical', group: 'm1' } as QueueRecordOptions);
    expect(record).toThrow(InvalidOptionError);
    expect(record).toThrow(expect.objectContaining({ path: 'queueRecord.options.priorty', found: 'priorty' }));
    expect(() => new QueueRecord(1, null as never)).toThrow(expect.objectContaining({ path: 'queueRecord.options' }));
    expect(() => new QueueRecordBuilder(1).setOptions({ grup: 'm1' } as QueueRecordOptions).build()).toThrow(
      expect.objectContaining({ path: 'queueRecord.options.grup' }),
    );
    expect(new QueueRecord(1, { priority: 'high', group: 'm1', webhookUrl: 'https://example.test/hook' }).options).toEqual({
      priority: 'high',
      group: 'm1',
      webhookUrl: 'https://example.test/hook',
    });
  });
});

describe('queue transport: record options reach the task', () => {
  let redis: RedisServerHandle;
  let manager: QueueManager;
  let client: QueueClientProxy;
  const seen: Array<{ priority: string; group?: string; maxRetries: number }> = [];

  beforeAll(async () => {
    redis = await spawnRedis();
    manager = await QueueManager.create(
      {
        service_name: 'meeting',
        redis: { url: redis.url },
        message_queue: { queue_name: 'tasks' },
        event_bus: { type: 'local' },
        task_dispatcher: { routes: { caption: { queue: 'tasks' } } },
        metrics: { enabled: false },
      },
      { env: {} },
    );
    manager.registerTaskHandler('caption', (_payload, ctx) => {
      seen.push({ priority: ctx.message.priority, group: ctx.message.group, maxRetries: ctx.message.maxRetries });
      return 'ok';
    });
    await manager.start();
    client = new QueueClientProxy({ manager, timeoutMs: 30_000 });
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await manager?.shutdown({ drainTimeoutMs: 500 });
    await redis?.cleanup();
  });

  it('send passes priority, group and maxRetries of a record on; emit refuses options an event cannot carry', async () => {
    const record = new QueueRecord({ clip: 1 }, { priority: 'critical', group: 'm1', maxRetries: 0 });
    await expect(lastValueFrom(client.send('caption', record))).resolves.toBe('ok');
    expect(seen).toEqual([{ priority: 'critical', group: 'm1', maxRetries: 0 }]);
    await expect(lastValueFrom(client.emit('meeting.started', new QueueRecord({ id: 'm1' }, { group: 'm1' })))).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      path: 'emit.options.group',
    });
    await expect(lastValueFrom(client.emit('meeting.started', new QueueRecord({ id: 'm1' })))).resolves.toEqual(expect.any(String));
  });
});
