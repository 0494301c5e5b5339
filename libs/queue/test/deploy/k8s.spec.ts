import 'reflect-metadata';
import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import { loadAll, load } from 'js-yaml';
import { PATH_METADATA } from '@nestjs/common/constants';
import { QueueHealthController } from '../../src/nest/health.controller';
import { serviceDownSelector } from './alert-rules';

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
interface PodTemplate {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}
/** A PodDisruptionBudget's spec: one of minAvailable, maxUnavailable (a count or a percentage). */
interface DisruptionBudget {
  minAvailable?: number | string;
  maxUnavailable?: number | string;
  selector: { matchLabels: Record<string, string> };
}
/** One rule of a Prometheus `relabel_configs`. */
interface RelabelRule {
  action?: string;
  source_labels?: string[];
  separator?: string;
  regex?: string;
  target_label?: string;
  replacement?: string;
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

/** `value` of a budget field for `replicas` pods: a count, or a percentage rounded up (as the disruption controller does). */
function scaled(value: number | string, replicas: number): number {
  return typeof value === 'number' ? value : Math.ceil((Number(value.replace('%', '')) * replicas) / 100);
}

/** Evictions a PodDisruptionBudget allows with `replicas` pods, all healthy. */
function disruptionsAllowed(budget: Omit<DisruptionBudget, 'selector'>, replicas: number): number {
  const desiredHealthy =
    budget.maxUnavailable !== undefined ? Math.max(0, replicas - scaled(budget.maxUnavailable, replicas)) : scaled(budget.minAvailable ?? 0, replicas);
  return Math.max(0, replicas - desiredHealthy);
}

/**
 * Prometheus' relabeling of one target (actions keep, drop, replace, labelmap: what
 * kubernetes-pods.yml uses; another one fails the test); null when the target is dropped. The
 * regex is anchored, as Prometheus anchors it; a replace that yields '' removes the label.
 */
function relabel(labels: Record<string, string>, rules: RelabelRule[]): Record<string, string> | null {
  const out = { ...labels };
  for (const rule of rules) {
    const regex = new RegExp(`^(?:${rule.regex ?? '(.*)'})$`);
    const replacement = (rule.replacement ?? '$1').replace(/\$\{(\d+)\}/g, '$$$1');
    const value = (rule.source_labels ?? []).map((l) => out[l] ?? '').join(rule.separator ?? ';');
    const action = rule.action ?? 'replace';
    if (action === 'keep' && !regex.test(value)) return null;
    if (action === 'drop' && regex.test(value)) return null;
    if (action === 'replace' && regex.test(value)) {
      const replaced = value.replace(regex, replacement);
      if (replaced) out[rule.target_label!] = replaced;
      else delete out[rule.target_label!];
    }
    if (action === 'labelmap') for (const [name, v] of Object.entries(out)) if (regex.test(name)) out[name.replace(regex, replacement)] = v;
    if (!['keep', 'drop', 'replace', 'labelmap'].includes(action)) throw new Error(`relabel action ${action} is not simulated here`);
  }
  return out;
}

/** The targets Kubernetes pod discovery (role pod) gives for a workload's pod: one per container port, with its meta labels. */
function podTargets(workload: K8sObject, ip: string): Array<Record<string, string>> {
  const template = workload.spec!.template as PodTemplate;
  const name = (n: string) => n.replace(/[^a-zA-Z0-9_]/g, '_');
  const meta: Record<string, string> = {
    __meta_kubernetes_namespace: workload.metadata.namespace ?? 'default',
    __meta_kubernetes_pod_name: `${workload.metadata.name}-0`,
    __meta_kubernetes_pod_ip: ip,
    __meta_kubernetes_pod_phase: 'Running',
  };
  for (const [k, v] of Object.entries(template.metadata.labels ?? {})) {
    meta[`__meta_kubernetes_pod_label_${name(k)}`] = v;
    meta[`__meta_kubernetes_pod_labelpresent_${name(k)}`] = 'true';
  }
  for (const [k, v] of Object.entries(template.metadata.annotations ?? {})) {
    meta[`__meta_kubernetes_pod_annotation_${name(k)}`] = v;
    meta[`__meta_kubernetes_pod_annotationpresent_${name(k)}`] = 'true';
  }
  return template.spec.containers.flatMap((c) =>
    c.ports.map((p) => ({ ...meta, __address__: `${ip}:${p.containerPort}`, __meta_kubernetes_pod_container_port_number: String(p.containerPort) })),
  );
}

test('the disruption check counts what a budget allows at a replica count', () => {
  expect(disruptionsAllowed({ minAvailable: 1 }, 1)).toBe(0); // blocks every drain
  expect(disruptionsAllowed({ minAvailable: 1 }, 2)).toBe(1);
  expect(disruptionsAllowed({ minAvailable: '50%' }, 1)).toBe(0);
  expect(disruptionsAllowed({ minAvailable: '50%' }, 4)).toBe(2);
  expect(disruptionsAllowed({ maxUnavailable: 1 }, 1)).toBe(1);
  expect(disruptionsAllowed({ maxUnavailable: 0 }, 3)).toBe(0);
  expect(disruptionsAllowed({ maxUnavailable: '10%' }, 2)).toBe(1);
});

test('the relabeling check keeps, drops, replaces and maps labels as Prometheus does', () => {
  const rules: RelabelRule[] = [
    { source_labels: ['__meta_keep'], action: 'keep', regex: 'true' },
    { source_labels: ['__meta_port', '__meta_ip'], regex: '(\\d+);(.+)', replacement: '$2:$1', target_label: '__address__' },
    { action: 'labelmap', regex: '__meta_label_(.+)' },
    { source_labels: ['__meta_missing'], regex: '(.+)', target_label: 'never' },
  ];
  expect(relabel({ __meta_keep: 'false' }, rules)).toBeNull();
  expect(relabel({ __meta_keep: 'truely' }, rules)).toBeNull(); // anchored
  expect(relabel({ __meta_keep: 'true', __meta_port: '80', __meta_ip: '10.0.0.1', __meta_label_app: 'x' }, rules)).toEqual({
    __meta_keep: 'true',
    __meta_port: '80',
    __meta_ip: '10.0.0.1',
    __meta_label_app: 'x',
    __address__: '10.0.0.1:80',
    app: 'x',
  });
  expect(() => relabel({}, [{ action: 'hashmod' }])).toThrow(/hashmod/);
});

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

  test('every PodDisruptionBudget lets a drain evict a pod at the replica count of this overlay (the autoscaler minimum where one scales it)', () => {
    const budgets = byKind('PodDisruptionBudget');
    expect(budgets.map((b) => b.metadata.name).sort()).toEqual([...SERVICES].sort());
    const blocking: string[] = [];
    for (const budget of budgets) {
      const spec = budget.spec as unknown as DisruptionBudget;
      const selected = objects.filter(
        (o) =>
          ['Deployment', 'StatefulSet'].includes(o.kind) &&
          Object.entries(spec.selector.matchLabels).every(([k, v]) => (o.spec!.template as PodTemplate).metadata.labels?.[k] === v),
      );
      expect(selected.map((o) => o.metadata.name)).toEqual([budget.metadata.name]);
      const hpa = byKind('HorizontalPodAutoscaler').find((h) => (h.spec!.scaleTargetRef as { name: string }).name === budget.metadata.name);
      const replicas = hpa ? (hpa.spec!.minReplicas as number) : ((selected[0].spec!.replicas as number | undefined) ?? 1);
      if (disruptionsAllowed(spec, replicas) < 1)
        blocking.push(`${budget.metadata.name}: ${JSON.stringify(spec)} allows no eviction with ${replicas} replica(s)`);
    }
    expect(blocking).toEqual([]); // a drain would wait for ever
  });

  test('the annotation-based pod job (deploy/prometheus/kubernetes-pods.yml) scrapes each service pod on its port with the label ServiceDown selects', () => {
    const config = load(readFileSync(join(ROOT, 'deploy', 'prometheus', 'kubernetes-pods.yml'), 'utf8')) as {
      scrape_configs: Array<{ job_name: string; relabel_configs: RelabelRule[] }>;
    };
    const [job] = config.scrape_configs;
    const selector = serviceDownSelector();
    expect(Object.keys(selector).length).toBeGreaterThan(0);
    expect(selector).not.toHaveProperty('job'); // the job names of the two setups differ
    const workloads = objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind));
    const scraped = workloads.flatMap((w, i) =>
      podTargets(w, `10.0.0.${i + 1}`)
        .map((t) => relabel(t, job.relabel_configs))
        .filter((t): t is Record<string, string> => t !== null)
        .map((t) => ({ workload: w.metadata.name, target: t })),
    );
    expect(scraped.map((s) => s.workload).sort()).toEqual([...SERVICES].sort()); // one target per service pod; the dev Redis is not scraped
    for (const { workload, target } of scraped) {
      const port = defaultPort(workload);
      expect(target.__address__).toMatch(new RegExp(`^10\\.0\\.0\\.\\d+:${port}$`));
      expect(target.__metrics_path__).toBe('/metrics');
      expect(target).toMatchObject({ ...selector, namespace: overlay === 'dev' ? 'meeting-dev' : 'meeting', app_kubernetes_io_name: workload });
    }
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
