import { execFileSync } from 'child_process';
import { existsSync, readFileSync } from 'fs';
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
    const config = load(readFileSync(join(DEPLOY, 'prometheus', 'prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>;
    };
    expect(config.scrape_configs[0].static_configs[0].targets).toEqual([
      'ai-service:3001',
      'meeting-service:3002',
      'media-service:3003',
      'signaling-service:3004',
    ]);
  });

  test('docker-compose config: Redis (AOF, noeviction), the four services built from the Dockerfile with healthchecks and ports, Prometheus, Grafana', () => {
    let out: string;
    try {
      out = execFileSync('docker-compose', ['-f', 'compose/docker-compose.yml', 'config'], {
        cwd: DEPLOY,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      const e = error as { code?: string; stderr?: string };
      if (e.code === 'ENOENT') throw new Error('docker-compose is not installed (Debian package `docker-compose`; .ci/run installs it)');
      throw new Error(`docker-compose config failed:\n${e.stderr ?? ''}`);
    }
    interface ComposeService {
      image?: string;
      command?: string[];
      build?: { context: string; dockerfile: string; args: Record<string, string> };
      environment?: Record<string, string>;
      ports?: Array<{ published: number | string; target: number }>;
      volumes?: string[];
      healthcheck?: { test: string[] };
      depends_on?: Record<string, { condition: string }>;
    }
    const compose = load(out) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
    const root = join(DEPLOY, '..');
    const ports = (s: ComposeService) => (s.ports ?? []).map((p) => `${p.published}:${p.target}`);
    expect(Object.keys(compose.services).sort()).toEqual([
      'ai-service',
      'grafana',
      'media-service',
      'meeting-service',
      'prometheus',
      'redis',
      'signaling-service',
    ]);
    expect(Object.keys(compose.volumes).sort()).toEqual(['grafana-data', 'prometheus-data', 'redis-data']);

    const redis = compose.services.redis;
    expect(redis.command).toEqual(expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']));
    expect(redis.volumes).toEqual(['redis-data:/data:rw']);
    expect(redis.healthcheck!.test).toEqual(['CMD', 'redis-cli', 'ping']);

    const scrape = load(readFileSync(join(DEPLOY, 'prometheus', 'prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>;
    };
    const targets = scrape.scrape_configs[0].static_configs[0].targets;
    for (const [i, name] of ['ai-service', 'meeting-service', 'media-service', 'signaling-service'].entries()) {
      const s = compose.services[name];
      const port = 3001 + i;
      expect(s.build).toEqual({ context: root, dockerfile: 'Dockerfile', args: { SERVICE: name, PORT: String(port) } });
      expect(existsSync(join(root, s.build!.dockerfile))).toBe(true);
      expect(s.environment).toMatchObject({ REDIS_URL: 'redis://redis:6379', PORT: String(port), LOG_FORMAT: 'json' });
      expect(ports(s)).toEqual([`${port}:${port}`]);
      expect(targets).toContain(`${name}:${port}`);
      expect(s.healthcheck!.test.join(' ')).toContain('/health/ready');
      expect(s.depends_on).toEqual({ redis: { condition: 'service_healthy' } });
    }

    const prometheus = compose.services.prometheus;
    expect(ports(prometheus)).toEqual(['9090:9090']);
    expect(prometheus.volumes).toEqual([`${join(DEPLOY, 'prometheus')}:/etc/prometheus:ro`, 'prometheus-data:/prometheus:rw']);
    expect(Object.values(prometheus.depends_on!).every((d) => d.condition === 'service_healthy')).toBe(true);

    const grafana = compose.services.grafana;
    expect(ports(grafana)).toEqual(['3000:3000']);
    expect(grafana.volumes).toEqual([
      `${join(DEPLOY, 'grafana', 'provisioning')}:/etc/grafana/provisioning:ro`,
      `${join(DEPLOY, 'grafana', 'dashboards')}:/var/lib/grafana/dashboards:ro`,
      'grafana-data:/var/lib/grafana:rw',
    ]);
    // The provisioning the mounts bring: the Prometheus datasource at the compose address, the dashboards folder.
    const datasources = load(readFileSync(join(DEPLOY, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8')) as {
      datasources: Array<{ url: string }>;
    };
    expect(datasources.datasources[0].url).toBe('http://prometheus:9090');
    const providers = load(readFileSync(join(DEPLOY, 'grafana', 'provisioning', 'dashboards', 'dashboards.yml'), 'utf8')) as {
      providers: Array<{ options: { path: string } }>;
    };
    expect(providers.providers[0].options.path).toBe('/var/lib/grafana/dashboards');
    expect(grafana.depends_on).toEqual({ prometheus: { condition: 'service_healthy' } });
  });
});
