import { Global, Injectable, INestApplication, LoggerService, Module, OnModuleDestroy } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { QueueAppConfigInput } from '../config/config.types';
import { QueueManager } from '../manager/queue-manager';
import { deferred, quietLogger, RedisServerHandle, spawnRedis, waitFor } from '../testing';
import { OnTask } from './decorators';
import { QueueModule } from './queue.module';

/** What happened, in order: handler steps, the pool's close, the queue's log lines. */
@Injectable()
class EventLog {
  readonly lines: string[] = [];
}

/** A resource the handlers use, closed by its own module's onModuleDestroy (a database pool, say). */
@Injectable()
class Pool implements OnModuleDestroy {
  open = true;
  /** The id of the task its onModuleDestroy publishes (publishing still works then). */
  publishedOnClose?: string;
  constructor(
    private readonly events: EventLog,
    private readonly manager: QueueManager,
  ) {}

  async onModuleDestroy(): Promise<void> {
    this.open = false;
    this.events.lines.push('pool closed');
    this.publishedOnClose = await this.manager.queue().publish({ type: 'work', payload: { name: 'c' } });
  }
}

@Global()
@Module({ providers: [EventLog], exports: [EventLog] })
class EventLogModule {}

@Module({ providers: [Pool], exports: [Pool] })
class PoolModule {}

@Injectable()
class Handlers {
  readonly release = deferred();
  constructor(
    private readonly pool: Pool,
    private readonly events: EventLog,
  ) {}

  @OnTask('work', { concurrency: 1 })
  async work(payload: { name: string }): Promise<string> {
    this.events.lines.push(`${payload.name} started`);
    await this.release.promise;
    if (!this.pool.open) throw new Error('the pool was closed under the handler');
    this.events.lines.push(`${payload.name} finished, pool open`);
    return payload.name;
  }
}

@Module({ imports: [PoolModule], providers: [Handlers] })
class HandlersModule {}

/** A Nest logger keeping the lines (the queue's "draining queue handlers" line tells that the drain began). */
function keptLogger(lines: string[]): LoggerService {
  const keep = (message: unknown) => void lines.push(String(message));
  return { log: keep, warn: keep, error: keep, debug: () => undefined, verbose: () => undefined };
}

async function startApp(
  config: QueueAppConfigInput,
): Promise<{ app: INestApplication; events: EventLog; handlers: Handlers; manager: QueueManager; pool: Pool }> {
  const moduleRef = await Test.createTestingModule({
    imports: [EventLogModule, QueueModule.forRoot({ config, drainTimeoutMs: 5000, http: false }), HandlersModule],
  }).compile();
  const events = moduleRef.get(EventLog);
  const app = moduleRef.createNestApplication({ logger: keptLogger(events.lines) });
  await app.init();
  return { app, events, handlers: moduleRef.get(Handlers), manager: moduleRef.get(QueueManager), pool: moduleRef.get(Pool) };
}

/**
 * Task "a" runs; "b" waits behind it (concurrency 1); the application closes (`close`); once the
 * close began ("closing" logged, or the pool closed already), "a" is let finish. Returns the ids.
 */
async function closeWhileRunning(started: Awaited<ReturnType<typeof startApp>>, close: () => Promise<void>): Promise<{ a: string; b: string }> {
  const { events, handlers, manager } = started;
  const a = await manager.queue().publish({ type: 'work', payload: { name: 'a' } });
  await waitFor(() => events.lines.includes('a started'), 'task a to start');
  const b = await manager.queue().publish({ type: 'work', payload: { name: 'b' } });
  const closed = close();
  await waitFor(() => events.lines.some((line) => line.startsWith('draining queue handlers') || line === 'pool closed'), 'the close to begin');
  // readiness fails from the first step on (no new traffic routed here while the handlers drain)
  expect(manager.state).toBe('stopping');
  handlers.release.resolve();
  await closed;
  return { a, b };
}

/** The handler steps and the pool's close, without the log lines. */
function steps(events: EventLog): string[] {
  return events.lines.filter((line) => /^\w+ started$|, pool open$|^pool closed$/.test(line));
}

const memory: QueueAppConfigInput = {
  service_name: 'order',
  message_queue: { type: 'memory', queue_name: 'tasks' },
  event_bus: { type: 'local' },
  metrics: { enabled: false },
};

describe('QueueModule shutdown order: handlers drain before the other modules are destroyed', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  // Nest's signal listener (enableShutdownHooks) runs the same steps as app.close(): destroy hooks,
  // beforeApplicationShutdown, dispose, onApplicationShutdown; runNestService's closeOnSignals calls app.close(signal)
  it('app.close(): the running handler finishes with the pool open, nothing new starts, then the pool closes', async () => {
    const started = await startApp(memory);
    app = started.app;
    await closeWhileRunning(started, () => started.app.close());
    app = undefined;
    expect(steps(started.events)).toEqual(['a started', 'a finished, pool open', 'pool closed']);
  });

  describe('on Redis', () => {
    let server: RedisServerHandle;
    beforeAll(async () => {
      server = await spawnRedis();
    });
    afterAll(async () => {
      await server.cleanup();
    });

    it('the drained task is completed; the one that had not started is back in the queue, attempt not counted', async () => {
      const config: QueueAppConfigInput = {
        service_name: 'order',
        redis: { url: server.url },
        message_queue: { queue_name: 'tasks' },
        event_bus: { type: 'redis_pubsub' },
        metrics: { enabled: false },
      };
      const started = await startApp(config);
      app = started.app;
      const { a, b } = await closeWhileRunning(started, () => started.app.close());
      app = undefined;
      expect(steps(started.events)).toEqual(['a started', 'a finished, pool open', 'pool closed']);
      const reader = await QueueManager.create(config, { logger: quietLogger });
      try {
        expect(await reader.queue().getStatus(a)).toMatchObject({ state: 'completed', attempts: 1 });
        expect(await reader.queue().getStatus(b)).toMatchObject({ state: 'pending', attempts: 0 });
        // published by the pool's onModuleDestroy, after the workers stopped: stored, not started
        expect(started.pool.publishedOnClose).toEqual(expect.any(String));
        expect(await reader.queue().getStatus(started.pool.publishedOnClose!)).toMatchObject({ state: 'pending', attempts: 0 });
      } finally {
        await reader.shutdown({ drainTimeoutMs: 1000 });
      }
    });
  });
});
