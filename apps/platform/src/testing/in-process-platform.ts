import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { QueueAppConfig } from '@meeting/queue';
import { AppModule as AiModule } from '../../../ai-service/src/app.module';
import { loadServiceConfig as aiConfig } from '../../../ai-service/src/service-config';
import { AppModule as MediaModule } from '../../../media-service/src/app.module';
import { loadServiceConfig as mediaConfig } from '../../../media-service/src/service-config';
import { AppModule as MeetingModule } from '../../../meeting-service/src/app.module';
import { loadServiceConfig as meetingConfig } from '../../../meeting-service/src/service-config';
import { AppModule as SignalingModule, configureSignalingApp } from '../../../signaling-service/src/app.module';
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

/** Starts ai-, meeting-, media- and signaling-service on `redisUrl` (signaling with its WebSocket adapter). */
export async function startInProcessPlatform(redisUrl: string): Promise<InProcessPlatform> {
  const env = { ...process.env, REDIS_URL: redisUrl, QUEUE_TYPE: 'redis', EVENT_BUS_TYPE: 'redis_stream', CONFIG_FILE: '' };
  const secret = { tokenSecret: TEST_JOIN_SECRET, developmentSecret: false };
  const modules: Array<[ServiceKey, (config: QueueAppConfig) => unknown, QueueAppConfig]> = [
    ['ai', (config) => AiModule.register({ config, drainTimeoutMs: 2000 }), aiConfig(env)],
    ['meeting', (config) => MeetingModule.register({ config, meetings: secret, drainTimeoutMs: 2000 }), meetingConfig(env)],
    ['media', (config) => MediaModule.register({ config, drainTimeoutMs: 2000 }), mediaConfig(env)],
    ['signaling', (config) => SignalingModule.register({ config, signaling: secret, drainTimeoutMs: 2000 }), signalingConfig(env)],
  ];
  const apps = {} as Record<ServiceKey, INestApplication>;
  const urls = {} as DemoTargets;
  const close = async () => {
    for (const app of Object.values(apps)) await app.close();
  };
  try {
    for (const [name, register, config] of modules) {
      const moduleRef = await Test.createTestingModule({ imports: [register(config) as never] }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      if (name === 'signaling') configureSignalingApp(app);
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
