import { readFileSync } from 'fs';
import { join } from 'path';
import { load } from 'js-yaml';
import { promtool as runPromtool } from '../../src/testing';

const DEPLOY = join(__dirname, '..', '..', '..', '..', 'deploy');

const promtool = (...args: string[]): string => runPromtool(args, { cwd: DEPLOY });

describe('deploy/ operations files', () => {
  test('the alert rules are valid and fire at the documented thresholds (promtool test rules)', () => {
    expect(promtool('check', 'rules', 'prometheus/alerts.yml')).toContain('SUCCESS: 8 rules found');
    expect(promtool('test', 'rules', 'prometheus/alerts.test.yml')).toContain('SUCCESS');
  });

  test('the Prometheus scrape config is valid and scrapes the four services', () => {
    expect(promtool('check', 'config', 'prometheus/prometheus.yml')).toContain('is valid prometheus config file syntax');
    const config = load(readFileSync(join(DEPLOY, 'prometheus', 'prometheus.yml'), 'utf8')) as { scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }> };
    expect(config.scrape_configs[0].static_configs[0].targets).toEqual(['ai-service:3001', 'meeting-service:3002', 'media-service:3003', 'signaling-service:3004']);
  });

  test('the compose file runs Redis with AOF and noeviction beside the four services', () => {
    const compose = load(readFileSync(join(DEPLOY, 'compose', 'docker-compose.yml'), 'utf8')) as { services: Record<string, { command?: string[]; environment?: Record<string, string> }> };
    expect(Object.keys(compose.services).sort()).toEqual(['ai-service', 'media-service', 'meeting-service', 'prometheus', 'redis', 'signaling-service']);
    expect(compose.services.redis.command).toEqual(expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']));
    for (const name of ['ai-service', 'meeting-service', 'media-service', 'signaling-service']) {
      expect(compose.services[name].command!.join(' ')).toContain(`apps/${name}/src/main.ts`);
      expect(compose.services[name].environment!.REDIS_URL).toBe('redis://redis:6379');
    }
  });
});
