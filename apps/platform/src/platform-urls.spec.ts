import { platformUrls } from './platform-urls';
import { platformServices } from './services';

describe('the launcher: the URLs it prints', () => {
  const services = platformServices({ PLATFORM_BASE_PORT: '5001' }, false);

  it('every service with /docs, /health, /health/ready and /metrics; the backend with the URL masked; the dashboard', () => {
    const text = platformUrls(services, { kind: 'url', url: 'redis://admin:s3cret@redis.internal:6379', stop: async () => undefined }, {}).join('\n');
    expect(text).toContain('platform up on Redis redis://admin:***@redis.internal:6379:');
    expect(text).not.toContain('s3cret');
    for (const [name, port] of [
      ['ai-service', 5001],
      ['meeting-service', 5002],
      ['media-service', 5003],
      ['signaling-service', 5004],
    ] as const) {
      expect(text).toContain(`  ${name.padEnd(18)} http://localhost:${port}\n`);
      for (const path of ['/docs', '/health', '/health/ready', '/metrics']) expect(text).toMatch(new RegExp(`http://localhost:${port}${path}( |\n)`));
    }
    expect(text).toContain('dashboard: http://localhost:5002/queues/ (read-only; MQ_ADMIN_TOKEN of 16+ characters unlocks replay, delete, pause)');
    expect(text).toContain('curl -s -XPOST localhost:5002/meetings');
  });

  it('names the dashboard the meeting-service mounts on Redis, and says there is none on the memory backend', () => {
    expect(platformUrls(services, { kind: 'spawned', url: 'redis://127.0.0.1:4000', dir: '/tmp/x', stop: async () => undefined }, {})).toContain(
      '  dashboard: http://localhost:5002/queues/ (read-only; MQ_ADMIN_TOKEN of 16+ characters unlocks replay, delete, pause)',
    );
    expect(platformUrls(services, { kind: 'memory', stop: async () => undefined }, {})).toContain('  dashboard: none (the queue dashboard reads Redis)');
    const unlocked = platformUrls(
      services,
      { kind: 'url', url: 'redis://127.0.0.1:4000', stop: async () => undefined },
      { MQ_ADMIN_TOKEN: 'a-long-enough-admin-token' },
    );
    expect(unlocked).toContain('  dashboard: http://localhost:5002/queues/ (admin token set: MQ_ADMIN_TOKEN)');
    expect(unlocked.join('\n')).not.toContain('a-long-enough-admin-token');
  });
});
