export { createDashboardHandler } from './dashboard-handler';
export type { DashboardOptions } from './dashboard-handler';
export { startDashboardServer } from './dashboard-server';
