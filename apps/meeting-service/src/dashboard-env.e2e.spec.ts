/**
 * The queue dashboard the meeting-service mounts at /queues, set from its environment
 * (dashboard-env.ts): MQ_DASHBOARD_ALLOWED_HOSTS limits the Host names it answers.
 */
import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { useTestRedis } from '@meeting/queue/testing';
import { AppModule } from './app.module';
import { dashboardFromEnv } from './dashboard-env';
import { configureApp } from './http';
import { loadServiceConfig } from './service-config';

describe('dashboardFromEnv', () => {
  it('splits MQ_DASHBOARD_ALLOWED_HOSTS on commas (blanks dropped); empty or unset: every host; an empty MQ_ADMIN_TOKEN is none', () => {
    expect(dashboardFromEnv({ MQ_DASHBOARD_ALLOWED_HOSTS: ' meet.example.com, ,.ops.example.com ', MQ_ADMIN_TOKEN: 'a-long-enough-admin-token' })).toEqual({
      dashboardAdminToken: 'a-long-enough-admin-token',
      dashboardAllowedHosts: ['meet.example.com', '.ops.example.com'],
    });
    expect(dashboardFromEnv({ MQ_DASHBOARD_ALLOWED_HOSTS: ' , ', MQ_ADMIN_TOKEN: '' })).toEqual({
      dashboardAdminToken: undefined,
      dashboardAllowedHosts: undefined,
    });
    expect(dashboardFromEnv({})).toEqual({ dashboardAdminToken: undefined, dashboardAllowedHosts: undefined });
  });
});

describe('meeting-service /queues with MQ_DASHBOARD_ALLOWED_HOSTS (e2e, Redis)', () => {
  let app: INestApplication | undefined;
  afterAll(async () => {
    await app?.close();
  });
  const server = useTestRedis({ spawn: true }); // declared after: its afterAll stops Redis once the app is closed

  const config = () =>
    loadServiceConfig({
      ...process.env,
      REDIS_URL: server.url,
      QUEUE_TYPE: 'redis',
      EVENT_BUS_TYPE: 'redis_stream',
      CONFIG_FILE: '',
      RATE_LIMIT: '',
      RATE_LIMIT_WINDOW_MS: '',
    });

  it('answers the listed names (a domain entry: its subdomains, any port) and 403 for any other Host', async () => {
    const dashboard = dashboardFromEnv({ MQ_DASHBOARD_ALLOWED_HOSTS: 'meet.example.com,.ops.example.com' });
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.register({ config: config(), drainTimeoutMs: 1000, rateLimit: false, ...dashboard })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    configureApp(app, config());
    await app.listen(0, '127.0.0.1');
    const http = app.getHttpServer();
    await request(http).get('/queues/api/overview').set('Host', 'meet.example.com').expect(200);
    await request(http).get('/queues/api/overview').set('Host', 'grafana.ops.example.com:8443').expect(200);
    const refused = await request(http).get('/queues/api/overview').set('Host', 'rebound.attacker.test').expect(403);
    expect(refused.body).toEqual({ error: expect.stringContaining('host not allowed') });
    await request(http).get('/queues/').set('Host', 'rebound.attacker.test').expect(403);
    // the service's own routes are not the dashboard's: any Host
    await request(http).get('/health').set('Host', 'rebound.attacker.test').expect(200);
  });

  it('a bad entry stops the start (the module is refused when defined), naming it', () => {
    const dashboard = dashboardFromEnv({ MQ_DASHBOARD_ALLOWED_HOSTS: 'meet.example.com,https://x.example.com' });
    expect(() => AppModule.register({ config: config(), drainTimeoutMs: 1000, rateLimit: false, ...dashboard })).toThrow(
      'queueDashboard.allowedHosts[1]: expected a host name',
    );
  });
});
