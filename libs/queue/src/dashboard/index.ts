export { createDashboardHandler } from './dashboard-handler';
export type { DashboardOptions } from './dashboard-handler';
export { startDashboardServer } from './dashboard-server';
export { QueueDashboardModule } from './dashboard.module';
export type { QueueDashboardOptions } from './dashboard.module';
