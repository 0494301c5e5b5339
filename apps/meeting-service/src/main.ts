/** meeting-service: `node -r ts-node/register/transpile-only -r tsconfig-paths/register apps/meeting-service/src/main.ts` (PORT, default 3002). */
import 'reflect-metadata';
import { runNestService } from '@meeting/queue/nest';
import { AppModule } from './app.module';
import { configureApp } from './http';
import { loadServiceConfig } from './service-config';

runNestService({
  name: 'meeting-service',
  defaultPort: 3002,
  loadConfig: () => loadServiceConfig(),
  module: (config) => AppModule.register({ config }),
  configure: configureApp,
});
