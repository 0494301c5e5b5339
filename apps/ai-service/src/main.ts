/** ai-service: `node -r ts-node/register/transpile-only -r tsconfig-paths/register apps/ai-service/src/main.ts` (PORT, default 3001). */
import 'reflect-metadata';
import { runNestService } from '@meeting/queue/nest';
import { AppModule } from './app.module';
import { configureApp } from './http';
import { loadServiceConfig } from './service-config';

runNestService({
  name: 'ai-service',
  defaultPort: 3001,
  loadConfig: () => loadServiceConfig(),
  module: (config) => AppModule.register({ config }),
  configure: configureApp,
});
