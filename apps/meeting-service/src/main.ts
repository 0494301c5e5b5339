/**
 * meeting-service: `node -r ts-node/register/transpile-only -r tsconfig-paths/register apps/meeting-service/src/main.ts` (PORT, default 3002).
 * `MQ_ADMIN_TOKEN` (at least 16 characters: a shorter one stops the start with `queueDashboard.adminToken: expected a string of at least 16
 * characters`) unlocks the changes (replay, delete, pause...) of the queue dashboard at /queues; without it the dashboard is read-only.
 * `MQ_DASHBOARD_ALLOWED_HOSTS` (comma-separated host names) limits the `Host` names it answers (dashboard-env.ts).
 */
import 'reflect-metadata';
import { runNestService } from '@meeting/queue/nest';
import { AppModule } from './app.module';
import { dashboardFromEnv } from './dashboard-env';
import { configureApp } from './http';
import { loadServiceConfig } from './service-config';

runNestService({
  name: 'meeting-service',
  defaultPort: 3002,
  loadConfig: () => loadServiceConfig(),
  module: (config) => AppModule.register({ config, ...dashboardFromEnv(process.env) }),
  configure: configureApp,
});
