import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { QueueManager } from '@meeting/queue';
import { AppModule } from '../app.module';
import { configureApp } from '../http';
import { loadServiceConfig } from '../service-config';

/** Starts the ai-service on the Redis at `redisUrl` as main.ts does (HTTP conventions), without rate limits (tests only). */
export async function startAiService(redisUrl: string): Promise<INestApplication> {
  const env = { ...process.env, REDIS_URL: redisUrl, QUEUE_TYPE: 'redis', EVENT_BUS_TYPE: 'redis_stream', CONFIG_FILE: '' };
  const config = loadServiceConfig(env);
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.register({ config, drainTimeoutMs: 2000, rateLimit: false })] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  configureApp(app, config);
  await app.init();
  return app;
}

/**
 * Starts a stand-in for the meeting-service on the Redis at `redisUrl`: its dispatcher routes each
 * of `types` to `ai_tasks` with `maxRetries` (tests only).
 */
export async function startMeetingServiceStandIn(redisUrl: string, types: readonly string[], maxRetries: number): Promise<QueueManager> {
  const caller = await QueueManager.create(
    {
      service_name: 'meeting-service',
      redis: { url: redisUrl },
      message_queue: { queue_name: 'meeting_tasks', queues: { ai_tasks: {} } },
      event_bus: { type: 'redis_stream' },
      task_scheduler: { enabled: false },
      metrics: { enabled: false },
      task_dispatcher: { routes: Object.fromEntries(types.map((t) => [t, { queue: 'ai_tasks', max_retries: maxRetries }])) },
    },
    { env: {} },
  );
  await caller.start();
  return caller;
}
