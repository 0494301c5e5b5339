/** media-service: `node -r ts-node/register/transpile-only -r tsconfig-paths/register apps/media-service/src/main.ts` (PORT, default 3003). */
import 'reflect-metadata';
import { runNestService } from '@meeting/queue/nest';
import { AppModule } from './app.module';
import { configureApp } from './http';
import { loadServiceConfig } from './service-config';

runNestService({
  name: 'media-service',
  defaultPort: 3003,
  loadConfig: () => loadServiceConfig(),
  module: (config) => AppModule.register({ config }),
  configure: configureApp,
});
