import { execFileSync } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { load } from 'js-yaml';
import { promtool as runPromtool } from '../../src/testing';
import { DEPLOY, serviceDownSelector } from './alert-rules';

const promtool = (...args: string[]): string => runPromtool(args, { cwd: DEPLOY });

/** What the tests read of prometheus/prometheus.yml. */
interface PrometheusConfig {
  alerting?: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
  scrape_configs: Array<{ static_configs: Array<{ targets: string[]; labels?: Record<string, string> }> }>;
}

function prometheusConfig(): PrometheusConfig {
  return load(readFileSync(join(DEPLOY, 'prometheus', 'prometheus.yml'), 'utf8')) as PrometheusConfig;
}

describe('deploy/ operations files', () => {
  test('the alert rules are valid and fire at the documented thresholds (promtool test rules)', () => {
    expect(promtool('check', 'rules', 'prometheus/alerts.yml')).toContain('SUCCESS: 9 rules found');
    expect(promtool('test', 'rules', 'prometheus/alerts.test.yml')).toContain('SUCCESS');
  });

  test('the Prometheus scrape config is valid, scrapes the four services with the label ServiceDown selects, and sends alerts to the Alertmanager', () => {
    expect(promtool('check', 'config', 'prometheus/prometheus.yml')).toContain('is valid prometheus config file syntax');
    const config = prometheusConfig();
    const [targets] = config.scrape_configs[0].static_configs;
    expect(targets.targets).toEqual(['ai-service:3001', 'meeting-service:3002', 'media-service:3003', 'signaling-service:3004']);
    // ServiceDown selects by labels both scrape setups give (this static job, the Kubernetes pod job: k8s.spec.ts), not by job name
    const selector = serviceDownSelector();
    expect(selector).not.toHaveProperty('job');
    expect(targets.labels).toMatchObject(selector);
    expect(config.alerting?.alertmanagers.flatMap((a) => a.static_configs.flatMap((c) => c.targets))).toEqual(['alertmanager:9093']);
  });

  test('the Alertmanager config routes every alert to a defined receiver that notifies somewhere', () => {
    // the structure amtool check-config would see (amtool is not installed on every machine)
    interface Receiver {
      name: string;
      webhook_configs?: Array<{ url: string; send_resolved?: boolean }>;
      [kind: string]: unknown;
    }
    const config = load(readFileSync(join(DEPLOY, 'alertmanager', 'alertmanager.yml'), 'utf8')) as {
      route: { receiver: string; group_by?: string[]; routes?: unknown[] };
      receivers: Receiver[];
    };
    const names = config.receivers.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain(config.route.receiver); // the default route catches every alert
    const byName = new Map(config.receivers.map((r) => [r.name, r]));
    const notifiers = Object.keys(byName.get(config.route.receiver)!).filter((k) => k.endsWith('_configs'));
    expect(notifiers.length).toBeGreaterThan(0); // a receiver without any is a silent one
    for (const hook of byName.get(config.route.receiver)!.webhook_configs ?? []) {
      expect(['http:', 'https:']).toContain(new URL(hook.url).protocol);
      expect(hook.send_resolved).toBe(true);
    }
    for (const label of config.route.group_by ?? []) expect(label).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
  });

  test('docker-compose config: Redis (AOF, noeviction), the four services built from the Dockerfile with healthchecks and ports, Prometheus, Alertmanager, Grafana', () => {
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
      'alertmanager',
      'grafana',
      'media-service',
      'meeting-service',
      'prometheus',
      'redis',
      'signaling-service',
    ]);
    expect(Object.keys(compose.volumes).sort()).toEqual(['alertmanager-data', 'grafana-data', 'prometheus-data', 'redis-data']);

    const redis = compose.services.redis;
    expect(redis.command).toEqual(expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']));
    expect(redis.volumes).toEqual(['redis-data:/data:rw']);
    expect(redis.healthcheck!.test).toEqual(['CMD', 'redis-cli', 'ping']);

    const scrape = prometheusConfig();
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
    expect(Object.keys(prometheus.depends_on!)).toContain('alertmanager');

    // Alertmanager: a pinned official image, its config from deploy/alertmanager, where prometheus.yml sends alerts
    const alertmanager = compose.services.alertmanager;
    expect(alertmanager.image).toMatch(/^prom\/alertmanager:v\d+\.\d+\.\d+$/);
    expect(ports(alertmanager)).toEqual(['9093:9093']);
    expect(alertmanager.volumes).toEqual([`${join(DEPLOY, 'alertmanager')}:/etc/alertmanager:ro`, 'alertmanager-data:/alertmanager:rw']);
    const configFile = alertmanager.command!.find((a) => a.startsWith('--config.file='))!.slice('--config.file='.length);
    expect(existsSync(join(DEPLOY, 'alertmanager', configFile.replace('/etc/alertmanager/', '')))).toBe(true);
    expect(alertmanager.healthcheck!.test.join(' ')).toContain('/-/ready');
    expect(scrape.alerting?.alertmanagers[0].static_configs[0].targets).toEqual([`alertmanager:${alertmanager.ports![0].target}`]);

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
