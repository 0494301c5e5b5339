import { Injectable, INestApplication, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { DispatchHandlerContext } from '../dispatcher/dispatcher';
import type { EventEnvelope } from '../events/event-bus';
import { QueueManager } from '../manager/queue-manager';
import { metricSample, promtool, RedisServerHandle, spawnRedis, waitFor } from '../testing';
import { OnEvent, OnLocalEvent, OnTask } from './decorators';
import { QueueModule } from './queue.module';

@Injectable()
class AiHandlers {
  readonly seen: string[] = [];
  gate?: Promise<void>;

  @OnTask('speech_recognition', { concurrency: 2 })
  async recognise(payload: { clip: string }, ctx: DispatchHandlerContext) {
    this.seen.push(`task:${payload.clip}:${ctx.attempt}`);
    if (payload.clip === 'slow') await this.gate;
    if (payload.clip === 'corrupt') throw new Error('cannot decode');
    return { words: payload.clip.length };
  }

  @OnEvent('meeting_events')
  onMeeting(event: EventEnvelope<{ id: string }>) {
    this.seen.push(`event:${event.type}:${event.data.id}`);
  }

  @OnLocalEvent('model_loaded')
  onModel(event: EventEnvelope<{ name: string }>) {
    this.seen.push(`local:${event.data.name}`);
  }
}

/** Another module: QueueManager is injectable everywhere because QueueModule is global. */
@Injectable()
class Publisher {
  constructor(readonly manager: QueueManager) {}
}
@Module({ providers: [Publisher], exports: [Publisher] })
class PublisherModule {}

describe('QueueModule in a Nest application', () => {
  let server: RedisServerHandle;
  let app: INestApplication;
  beforeAll(async () => {
    server = await spawnRedis();
  });
  afterAll(async () => {
    await app?.close();
    await server.cleanup();
  });

  it('runs decorated handlers after bootstrap, serves /metrics and /health, drains on shutdown', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        QueueModule.forRootAsync({
          useFactory: () => ({
            config: {
              service_name: 'ai',
              redis: { url: server.url },
              message_queue: { queue_name: 'ai_tasks', max_retries: 0 },
              event_bus: { type: 'redis_pubsub' },
              health: { max_dead_letters: 0 },
              task_dispatcher: { routes: { speech_recognition: { queue: 'ai_tasks' } } },
            },
            drainTimeoutMs: 5000,
          }),
        }),
        PublisherModule,
      ],
      providers: [AiHandlers],
    }).compile();
    const manager = moduleRef.get(Publisher).manager;
    const handlers = moduleRef.get(AiHandlers);
    await manager.queue().publish({ type: 'speech_recognition', payload: { clip: 'early' } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(handlers.seen).toEqual([]); // no worker before the application is bootstrapped
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await waitFor(() => handlers.seen.includes('task:early:1'));
    expect(await manager.dispatcher.dispatchAndWait('speech_recognition', { clip: 'hello' }, { timeoutMs: 5000 }).catch((e) => e)).toEqual({ words: 5 });
    await manager.events.publish('meeting_events', 'meeting.started', { id: 'm1' });
    await manager.localEvents.emit('model_loaded', { name: 'whisper' });
    await waitFor(() => handlers.seen.includes('event:meeting.started:m1') && handlers.seen.includes('local:whisper'));

    const http = app.getHttpServer();
    expect((await request(http).get('/health')).body).toMatchObject({ status: 'ok', info: { queue: { status: 'up', state: 'running' } } });
    const ready = await request(http).get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.info.queue.redis).toMatchObject({ status: 'up', connections: [{ connection: 'commands-0', status: 'ready' }] });
    expect(ready.body.info.queue.redis.pingMs).toBeGreaterThanOrEqual(0);
    expect(Object.keys(ready.body.info.queue).sort()).toEqual(['manager', 'redis', 'status']);
    expect((await request(http).get('/health/queues').expect(200)).body.info.queues['queue:ai_tasks']).toMatchObject({
      status: 'up',
      pending: 0,
      deadLetters: 0,
      maxPending: 1000,
    });

    // One dead letter is over this application's threshold (0): the queues report fails, but the
    // process can still serve, so it stays ready (and alive).
    await manager.queue().publish({ type: 'speech_recognition', payload: { clip: 'corrupt' } });
    await waitFor(async () => (await manager.queue().stats()).dead_letter_count === 1);
    const queues = await request(http).get('/health/queues');
    expect(queues.status).toBe(503);
    expect(queues.body.error.queues['queue:ai_tasks']).toMatchObject({ status: 'down', deadLetters: 1, maxDeadLetters: 0 });
    expect((await request(http).get('/health/ready')).status).toBe(200);
    expect((await request(http).get('/health')).status).toBe(200);

    await waitFor(async () => (await manager.queue().stats()).total_processed === 2);
    const metrics = await request(http).get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metricSample(metrics.text, 'mq_messages_processed_total', { queue: 'ai_tasks', task_type: 'speech_recognition' })).toBe(2);
    expect(metricSample(metrics.text, 'mq_messages_dead_lettered_total', { task_type: 'speech_recognition', outcome: 'failed' })).toBe(1);
    expect(metricSample(metrics.text, 'mq_queue_dead_letters', { queue: 'ai_tasks' })).toBe(1);
    expect(metricSample(metrics.text, 'mq_events_received_total', { bus: 'redis_pubsub', channel: 'meeting_events' })).toBe(1);
    expect(metricSample(metrics.text, 'mq_redis_connection_up', { connection: 'commands-0' })).toBe(1);
    expect(metrics.text).toContain('process_resident_memory_bytes');
    expect(promtool(['check', 'metrics'], { input: metrics.text })).toBe('');

    // Shutdown while a handler runs: it finishes and is acknowledged before the connections close.
    let release!: () => void;
    handlers.gate = new Promise<void>((resolve) => (release = resolve));
    await manager.queue().publish({ type: 'speech_recognition', payload: { clip: 'slow' } });
    await waitFor(() => handlers.seen.includes('task:slow:1'));
    // (the order against the other modules' hooks: queue-shutdown-order.spec.ts)
    const closing = app.close();
    await waitFor(() => manager.state === 'stopping', 'the manager stopping');
    release();
    await closing;
    expect(manager.state).toBe('stopped');
    const after = await QueueManager.create(
      { redis: { url: server.url }, message_queue: { queue_name: 'ai_tasks' }, event_bus: { enabled: false }, metrics: { enabled: false } },
      { env: {} },
    );
    expect((await after.stats()).message_queue).toMatchObject({ total_processed: 3, processing_count: 0, dead_letter_count: 1 });
    await after.shutdown();
  });

  it('forRoot with a memory configuration, without HTTP controllers', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [QueueModule.forRoot({ config: { message_queue: { type: 'memory' }, event_bus: { type: 'local' }, metrics: { enabled: false } }, http: false })],
      providers: [AiHandlers],
    }).compile();
    const local = moduleRef.createNestApplication({ logger: false });
    await local.init();
    const manager = moduleRef.get(QueueManager);
    expect(manager.config.message_queue.queue_name).toBe('meeting_system');
    await manager.events.publish('meeting_events', 'meeting.ended', { id: 'm2' });
    await waitFor(() => moduleRef.get(AiHandlers).seen.includes('event:meeting.ended:m2'));
    expect((await request(local.getHttpServer()).get('/health')).status).toBe(404);
    await local.close();
    expect(manager.state).toBe('stopped');
  });
});
