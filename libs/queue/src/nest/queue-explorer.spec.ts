/**
 * How QueueModule finds handlers, as a Nest developer coming from @nestjs/bullmq or
 * @nestjs/event-emitter writes them: in request-scoped providers, stacked decorators, a handler
 * module imported from two places, and the errors that name the decorated method.
 */
import { DynamicModule, Inject, Injectable, INestApplication, Module, Scope } from '@nestjs/common';
import { REQUEST } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import type { DispatchHandlerContext } from '../dispatcher/dispatcher';
import { InvalidOptionError } from '../errors';
import type { EventEnvelope } from '../events/event-bus';
import { QueueManager } from '../manager/queue-manager';
import { RedisServerHandle, spawnRedis, uniquePrefix, waitFor } from '../testing';
import { OnEvent, OnLocalEvent, OnTask } from './decorators';
import { QueueModule } from './queue.module';

const seen: string[] = [];

/** Depends on the request: one instance per task, its REQUEST the task's context. */
@Injectable({ scope: Scope.REQUEST })
class PerTaskHandlers {
  static instances = 0;
  constructor(@Inject(REQUEST) private readonly request: DispatchHandlerContext) {
    PerTaskHandlers.instances++;
  }

  @OnTask('transcode')
  transcode(payload: { clip: string }) {
    seen.push(`transcode:${payload.clip}:${this.request.taskId === undefined ? 'no task id' : 'task id'}:${PerTaskHandlers.instances}`);
    return { clip: payload.clip };
  }
}

@Injectable()
class StackedHandlers {
  @OnTask('summarise')
  @OnTask('translate')
  text(payload: { text: string }, ctx: DispatchHandlerContext) {
    seen.push(`${ctx.message.type}:${payload.text}`);
  }

  @OnEvent('meeting_events')
  @OnEvent('room_events')
  onEvent(event: EventEnvelope, ctx: { channel: string }) {
    seen.push(`event:${ctx.channel}:${event.type}`);
  }

  @OnLocalEvent('model_loaded')
  @OnLocalEvent('model_unloaded')
  onLocal(event: EventEnvelope) {
    seen.push(`local:${event.type}`);
  }
}

/** A handler module whose `register()` two feature modules call (two module instances in Nest 11). */
@Injectable()
class SharedHandlers {
  @OnTask('index')
  index(payload: { id: string }) {
    seen.push(`index:${payload.id}`);
  }

  @OnEvent('shared_events')
  onShared(event: EventEnvelope) {
    seen.push(`shared:${event.type}`);
  }

  @OnLocalEvent('shared_local')
  onLocal(event: EventEnvelope) {
    seen.push(`shared-local:${event.type}`);
  }
}
@Module({})
class SharedHandlersModule {
  static register(): DynamicModule {
    return { module: SharedHandlersModule, providers: [SharedHandlers] };
  }
}
@Module({ imports: [SharedHandlersModule.register()] })
class BillingModule {}
@Module({ imports: [SharedHandlersModule.register()] })
class SearchModule {}

@Injectable()
class IndexAgain {
  @OnTask('index')
  index() {
    return 'again';
  }
}

@Injectable()
class BadOptions {
  @OnTask('resize', { concurrency: 0 })
  resize() {
    return 'never';
  }
}

describe('QueueModule handler discovery', () => {
  let server: RedisServerHandle;
  let app: INestApplication | undefined;
  const config = () => ({
    service_name: 'explorer',
    redis: { url: server.url, key_prefix: uniquePrefix('explorer') },
    message_queue: { queue_name: 'explorer_tasks', max_retries: 0 },
    event_bus: { type: 'redis_pubsub' as const },
    metrics: { enabled: false },
  });

  /** Starts an application of `imports` and `providers`, or resolves to the error its start threw. */
  async function start(imports: Array<DynamicModule | (new () => object)>, providers: Array<new (...args: never[]) => object> = []) {
    const moduleRef = await Test.createTestingModule({ imports: [QueueModule.forRoot({ config: config(), http: false }), ...imports], providers }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    const error = await app.init().then(
      () => undefined,
      (e: unknown) => e,
    );
    return { manager: moduleRef.get(QueueManager), error };
  }

  beforeAll(async () => {
    server = await spawnRedis();
  });
  beforeEach(() => {
    seen.length = 0;
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  afterAll(async () => {
    await server.cleanup();
  });

  it('runs an @OnTask of a request-scoped provider on an instance per task, REQUEST being its context', async () => {
    const { manager, error } = await start([], [PerTaskHandlers]);
    expect(error).toBeUndefined();
    expect(manager.handlerCount).toBe(1);
    await manager.queue().publish({ type: 'transcode', payload: { clip: 'a' } });
    await waitFor(() => seen.length === 1);
    await manager.queue().publish({ type: 'transcode', payload: { clip: 'b' } });
    await waitFor(() => seen.length === 2);
    expect(seen).toEqual(['transcode:a:task id:1', 'transcode:b:task id:2']);
    await waitFor(async () => (await manager.queue().stats()).total_processed === 2);
  });

  it('registers every stacked decorator of a method, like @nestjs/event-emitter', async () => {
    const { manager, error } = await start([], [StackedHandlers]);
    expect(error).toBeUndefined();
    await manager.queue().publish({ type: 'summarise', payload: { text: 's' } });
    await manager.queue().publish({ type: 'translate', payload: { text: 't' } });
    await manager.events.publish('meeting_events', 'meeting.started', {});
    await manager.events.publish('room_events', 'room.opened', {});
    await manager.localEvents.emit('model_loaded', {});
    await manager.localEvents.emit('model_unloaded', {});
    await waitFor(() => seen.length === 6, `six handler calls, got ${seen.join(', ')}`);
    expect([...seen].sort()).toEqual([
      'event:meeting_events:meeting.started',
      'event:room_events:room.opened',
      'local:model_loaded',
      'local:model_unloaded',
      'summarise:s',
      'translate:t',
    ]);
  });

  it('registers a handler class once when its module is imported from two modules', async () => {
    const { manager, error } = await start([BillingModule, SearchModule]);
    expect(error).toBeUndefined();
    expect(manager.handlerCount).toBe(1);
    await manager.events.publish('shared_events', 'first', {});
    await manager.localEvents.emit('shared_local', {});
    await manager.queue().publish({ type: 'index', payload: { id: 'i1' } });
    // the task runs after both events were delivered to every subscriber
    await waitFor(() => seen.includes('index:i1') && seen.includes('shared:first') && seen.includes('shared-local:shared_local'));
    await manager.events.publish('shared_events', 'last', {});
    await waitFor(() => seen.includes('shared:last'));
    expect(seen.filter((s) => s === 'shared:first')).toHaveLength(1);
    expect(seen.filter((s) => s === 'shared-local:shared_local')).toHaveLength(1);
  });

  it('names both methods when two classes handle the same task type', async () => {
    const { error } = await start([SharedHandlersModule.register()], [IndexAgain]);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).path).toBe('taskHandler.type');
    const message = (error as Error).message;
    expect(message).toMatch(/^@OnTask\('index'\) on .*: taskHandler\.type: .*\(already handled by .*\)$/);
    expect(message).toContain('RootTestModule › IndexAgain.index');
    expect(message).toContain('SharedHandlersModule › SharedHandlers.index');
  });

  it('names the decorated method whose options are refused', async () => {
    const { error } = await start([], [BadOptions]);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).path).toBe('taskHandler.concurrency');
    expect((error as Error).message).toMatch(/^@OnTask\('resize'\) on RootTestModule › BadOptions\.resize: taskHandler\.concurrency: expected an integer/);
  });
});
