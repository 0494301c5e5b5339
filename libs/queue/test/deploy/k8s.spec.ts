import 'reflect-metadata';
import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import { loadAll, load } from 'js-yaml';
import { PATH_METADATA } from '@nestjs/common/constants';
import { QueueHealthController } from '../../src/nest/health.controller';

const ROOT = join(__dirname, '..', '..', '..', '..');
const K8S = join(ROOT, 'deploy', 'k8s');
const SERVICES = ['ai-service', 'meeting-service', 'media-service', 'signaling-service'];

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  ports: Array<{ name: string; containerPort: number }>;
  env: Array<{ name: string; value?: string }>;
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: object; limits?: object };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
}
interface PodSpec {
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean };
  containers: Container[];
}

function render(overlay: string): K8sObject[] {
  try {
    const out = execFileSync('kubectl', ['kustomize', join(K8S, 'overlays', overlay)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return loadAll(out) as K8sObject[];
  } catch (error) {
    const e = error as { code?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('kubectl is not installed (Debian package `kubernetes-client`; .ci/run installs it)');
    throw new Error(`kubectl kustomize ${overlay} failed:\n${e.stderr ?? ''}`);
  }
}

/** Schema problems of each object (kubernetes-models, through validate-k8s.mjs). */
function schemaProblems(objects: object[]): string[] {
  const out = execFileSync(process.execPath, [join(__dirname, 'validate-k8s.mjs')], { input: JSON.stringify(objects), encoding: 'utf8', cwd: ROOT });
  return JSON.parse(out) as string[];
}

/** The paths QueueHealthController serves (from its Nest route metadata). */
function healthPaths(): string[] {
  const base = Reflect.getMetadata(PATH_METADATA, QueueHealthController) as string;
  return (['live', 'ready', 'queues'] as const).map((m) => {
    const sub = Reflect.getMetadata(PATH_METADATA, QueueHealthController.prototype[m]) as string;
    return `/${[base, sub].filter((p) => p && p !== '/').join('/')}`;
  });
}

/** The default port of a service's main.ts. */
function defaultPort(service: string): number {
  const main = readFileSync(join(ROOT, 'apps', service, 'src', 'main.ts'), 'utf8');
  return Number(/defaultPort: (\d+)/.exec(main)![1]);
}

test('the schema check reports a wrong field and an unknown kind', () => {
  const bad = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 'two', selector: {}, template: {} } };
  const problems = schemaProblems([bad, { apiVersion: 'v1', kind: 'Nonsense', metadata: { name: 'y' } }]);
  expect(problems).toHaveLength(2);
  expect(problems[0]).toMatch(/^Deployment\/x: .*replicas/);
  expect(problems[1]).toMatch(/^Nonsense\/y: /);
});

describe.each(['dev', 'prod'])('deploy/k8s overlay %s (kubectl kustomize)', (overlay) => {
  const objects = render(overlay);
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);

  test('every object is valid against its Kubernetes schema', () => {
    expect(schemaProblems(objects)).toEqual([]);
    expect(objects.length).toBe(overlay === 'dev' ? 16 : 14); // 4 × (Deployment, Service, PDB), HPA, ConfigMap; dev: Redis StatefulSet and Service
  });

  test('a Deployment, Service and PodDisruptionBudget per service; probes and ports match the app', () => {
    const [live, ready] = healthPaths();
    expect([live, ready]).toEqual(['/health', '/health/ready']);
    for (const name of SERVICES) {
      const deployment = byKind('Deployment').find((d) => d.metadata.name === name)!;
      expect(deployment).toBeDefined();
      const pod = (deployment.spec!.template as { spec: PodSpec }).spec;
      const c = pod.containers[0];
      const port = defaultPort(name);
      expect(c.ports).toEqual([{ name: 'http', containerPort: port }]);
      expect(c.env.find((e) => e.name === 'PORT')?.value).toBe(String(port));
      expect(c.startupProbe?.httpGet).toEqual({ path: live, port: 'http' });
      expect(c.livenessProbe?.httpGet).toEqual({ path: live, port: 'http' });
      expect(c.readinessProbe?.httpGet).toEqual({ path: ready, port: 'http' });
      expect(c.resources?.requests).toBeDefined();
      expect(c.resources?.limits).toBeDefined();
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      // The drain timeout of the services is 10 s (QueueModule drainTimeoutMs in each AppModule).
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(10);
      expect(c.env.find((e) => e.name === 'CONFIG_FILE')?.value).toBe(`/etc/meeting/${name}.yaml`);
      const service = byKind('Service').find((s) => s.metadata.name === name)!;
      expect(service.spec).toMatchObject({ ports: [{ port, targetPort: 'http' }] });
      expect(byKind('PodDisruptionBudget').map((p) => p.metadata.name)).toContain(name);
    }
    for (const app of SERVICES) {
      const module = readFileSync(join(ROOT, 'apps', app, 'src', 'app.module.ts'), 'utf8');
      expect(module).toContain('drainTimeoutMs ?? 10_000');
    }
    const hpa = byKind('HorizontalPodAutoscaler');
    expect(hpa.map((h) => (h.spec!.scaleTargetRef as { name: string }).name)).toEqual(['ai-service']);
  });

  test('the ConfigMap holds config/config.yaml and each service overlay', () => {
    const [map] = byKind('ConfigMap');
    expect(Object.keys(map.data!).sort()).toEqual(['config.yaml', ...SERVICES.map((s) => `${s}.yaml`)].sort());
    expect(map.data!['config.yaml']).toBe(readFileSync(join(ROOT, 'config', 'config.yaml'), 'utf8'));
    for (const s of SERVICES) {
      const app = load(readFileSync(join(ROOT, 'apps', s, 'config.yaml'), 'utf8')) as Record<string, unknown>;
      const inMap = load(map.data![`${s}.yaml`]) as Record<string, unknown>;
      if (overlay === 'prod') {
        expect(inMap).toEqual({ ...app, redis: { sentinels: [{ host: 'redis-sentinel', port: 26379 }], sentinel_name: 'mymaster' } });
      } else {
        expect(map.data![`${s}.yaml`]).toBe(readFileSync(join(ROOT, 'apps', s, 'config.yaml'), 'utf8'));
      }
    }
    const deployments = byKind('Deployment').filter((d) => SERVICES.includes(d.metadata.name));
    for (const d of deployments) {
      const volumes = (d.spec!.template as { spec: { volumes: Array<{ configMap?: { name: string } }> } }).spec.volumes;
      expect(volumes.map((v) => v.configMap?.name).filter(Boolean)).toEqual([map.metadata.name]);
    }
  });

  test(
    overlay === 'dev' ? 'dev runs one Redis with AOF and noeviction and points the services at it' : 'prod reaches Redis through Sentinel, with no REDIS_URL',
    () => {
      const env = byKind('Deployment')
        .filter((d) => SERVICES.includes(d.metadata.name))
        .map((d) => (d.spec!.template as { spec: PodSpec }).spec.containers[0].env.find((e) => e.name === 'REDIS_URL')?.value);
      if (overlay === 'dev') {
        expect(env).toEqual(SERVICES.map(() => 'redis://redis:6379'));
        const redis = byKind('StatefulSet').find((s) => s.metadata.name === 'redis')!;
        const args = (redis.spec!.template as { spec: { containers: Array<{ args: string[] }> } }).spec.containers[0].args;
        expect(args).toEqual(expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']));
        expect(byKind('Service').map((s) => s.metadata.name)).toContain('redis');
      } else {
        expect(env).toEqual(SERVICES.map(() => undefined)); // REDIS_URL would drop the Sentinel settings
        expect(objects.every((o) => o.metadata.namespace === 'meeting')).toBe(true);
      }
    },
  );
});
