/** signaling-service: `node -r ts-node/register/transpile-only -r tsconfig-paths/register apps/signaling-service/src/main.ts` (PORT, default 3004). */
import 'reflect-metadata';
import { runNestService } from '@meeting/queue/nest';
import { AppModule, configureSignalingApp } from './app.module';
import { configureApp } from './http';
import { loadServiceConfig } from './service-config';

runNestService({
  name: 'signaling-service',
  defaultPort: 3004,
  loadConfig: () => loadServiceConfig(),
  module: (config) => AppModule.register({ config }),
  // the HTTP conventions (JSON bodies, ValidationPipe, /docs) and the WebSocket adapter of /signaling
  configure: (app, config) => {
    configureApp(app, config);
    configureSignalingApp(app);
  },
});
