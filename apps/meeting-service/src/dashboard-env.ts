import type { MeetingServiceOptions } from './app.module';

/**
 * The queue dashboard's settings from the environment (docs/services.md):
 * - `MQ_ADMIN_TOKEN`: unlocks its changes (at least 16 characters; empty or unset: read-only);
 * - `MQ_DASHBOARD_ALLOWED_HOSTS`: comma-separated host names it answers (`meet.example.com`,
 *   `.example.com` for a domain and its subdomains); any other `Host` gets 403 (DNS rebinding).
 *   Empty or unset: every host (the proxy in front checks them).
 * The values are checked where the dashboard is built: a bad one stops the start, naming
 * `queueDashboard.adminToken` or `queueDashboard.allowedHosts[i]`.
 */
export function dashboardFromEnv(env: NodeJS.ProcessEnv): Pick<MeetingServiceOptions, 'dashboardAdminToken' | 'dashboardAllowedHosts'> {
  const hosts = (env.MQ_DASHBOARD_ALLOWED_HOSTS ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  return { dashboardAdminToken: env.MQ_ADMIN_TOKEN || undefined, dashboardAllowedHosts: hosts.length > 0 ? hosts : undefined };
}
