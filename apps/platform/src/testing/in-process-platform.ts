import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { QueueAppConfig } from '@meeting/queue';
import { AppModule as AiModule } from '../../../ai-service/src/app.module';
import { configureApp as configureAi } from '../../../ai-service/src/http';
import { loadServiceConfig as aiConfig } from '../../../ai-service/src/service-config';
import { AppModule as MediaModule } from '../../../media-service/src/app.module';
import { configureApp as configureMedia } from '../../../media-service/src/http';
import { loadServiceConfig as mediaConfig } from '../../../media-service/src/service-config';
import { AppModule as MeetingModule } from '../../../meeting-service/src/app.module';
import { configureApp as configureMeeting } from '../../../meeting-service/src/http';
import { loadServiceConfig as meetingConfig } from '../../../meeting-service/src/service-config';
import { AppModule as SignalingModule, configureSignalingApp } from '../../../signaling-service/src/app.module';
import { configureApp as configureSignaling } from '../../../signaling-service/src/http';
import { loadServiceConfig as signalingConfig } from '../../../signaling-service/src/service-config';
import type { DemoTargets } from '../demo/demo-scenario';

/** The join-token secret the in-process meeting- and signaling-services share. */
export const TEST_JOIN_SECRET = 'in-process-platform-test-secret';

export type ServiceKey = keyof DemoTargets;

/** The four services of the platform in this process, on one Redis, each listening on a free port (tests only). */
export interface InProcessPlatform {
  apps: Record<ServiceKey, INestApplication>;
  urls: DemoTargets;
  close(): Promise<void>;
}

/** Starts ai-, meeting-, media- and signaling-service on `redisUrl` as their main.ts does (HTTP conventions, signaling's WebSocket adapter), without rate limits. */
export async function startInProcessPlatform(redisUrl: string): Promise<InProcessPlatform> {
  const env = { ...process.env, REDIS_URL: redisUrl, QUEUE_TYPE: 'redis', EVENT_BUS_TYPE: 'redis_stream', CONFIG_FILE: '' };
  const secret = { tokenSecret: TEST_JOIN_SECRET, developmentSecret: false };
  // rate limits off: the tests and the demo poll
  const modules: Array<[ServiceKey, (config: QueueAppConfig) => unknown, QueueAppConfig, (app: INestApplication, config: QueueAppConfig) => void]> = [
    ['ai', (config) => AiModule.register({ config, drainTimeoutMs: 2000, rateLimit: false }), aiConfig(env), configureAi],
    ['meeting', (config) => MeetingModule.register({ config, meetings: secret, drainTimeoutMs: 2000, rateLimit: false }), meetingConfig(env), configureMeeting],
    ['media', (config) => MediaModule.register({ config, drainTimeoutMs: 2000, rateLimit: false }), mediaConfig(env), configureMedia],
    [
      'signaling',
      (config) => SignalingModule.register({ config, signaling: secret, drainTimeoutMs: 2000, rateLimit: false }),
      signalingConfig(env),
      (app, config) => {
        configureSignaling(app, config);
        configureSignalingApp(app);
      },
    ],
  ];
  const apps = {} as Record<ServiceKey, INestApplication>;
  const urls = {} as DemoTargets;
  const close = async () => {
    for (const app of Object.values(apps)) await app.close();
  };
  try {
    for (const [name, register, config, configure] of modules) {
      const moduleRef = await Test.createTestingModule({ imports: [register(config) as never] }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      configure(app, config);
      await app.listen(0, '127.0.0.1');
      apps[name] = app;
      urls[name] = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { apps, urls, close };
}
