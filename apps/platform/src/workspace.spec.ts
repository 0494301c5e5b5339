/**
 * The Nx workspace (docs/building.md): the project graph links every service to the libraries
 * (queue, contracts, http), so
 * `nx affected` after a library change runs every service's tests; every project has the build,
 * lint, typecheck and test targets (services also serve), build/lint/typecheck cached; the @nx/*
 * packages are pinned to the version of nx.
 */
import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import { join, resolve } from 'path';

const ROOT = resolve(__dirname, '..', '..', '..');
const SERVICES = ['ai-service', 'meeting-service', 'media-service', 'signaling-service'];

jest.setTimeout(120_000);

function nx<T>(...args: string[]): T {
  const out = execFileSync(process.execPath, [join(ROOT, 'node_modules/nx/bin/nx.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false' },
  });
  return JSON.parse(out) as T;
}

interface Graph {
  nodes: Record<string, { type: string; data: { tags: string[]; targets: Record<string, { cache?: boolean; inputs?: unknown[]; outputs?: string[] }> } }>;
  dependencies: Record<string, Array<{ target: string }>>;
}

describe('Nx workspace', () => {
  let graph: Graph;

  beforeAll(() => {
    graph = nx<{ graph: Graph }>('graph', '--file=stdout').graph;
  });

  it('a change in libs/queue affects the library, the http library and every service: nx affected -t test runs all their tests', () => {
    const affected = nx<string[]>('show', 'projects', '--affected', '--files=libs/queue/src/queue/task-queue.ts', '-t', 'test', '--json');
    expect(affected.sort()).toEqual(['http', 'mq', 'platform', 'queue', ...SERVICES].sort());
  });

  it('a change in libs/contracts affects the contracts, every service and the platform, not the queue library or mq', () => {
    const affected = nx<string[]>('show', 'projects', '--affected', '--files=libs/contracts/src/registry.ts', '-t', 'test', '--json');
    expect(affected.sort()).toEqual(['contracts', 'platform', ...SERVICES].sort());
  });

  it('a change in one service affects that service and the platform that launches it, not the others', () => {
    expect(nx<string[]>('show', 'projects', '--affected', '--files=apps/media-service/src/main.ts', '--json').sort()).toEqual(['media-service', 'platform']);
  });

  it('the graph has each service depending on the three libraries, the platform on contracts and the four services, http on queue, the others on nothing', () => {
    const targets = (name: string) => [...new Set(graph.dependencies[name].map((d) => d.target).filter((t) => !t.startsWith('npm:')))].sort();
    for (const service of SERVICES) expect([service, targets(service)]).toEqual([service, ['contracts', 'http', 'queue']]);
    expect(targets('platform')).toEqual(['contracts', 'queue', ...SERVICES].sort()); // contracts: the demo's signaling client
    expect(targets('queue')).toEqual([]);
    expect(targets('contracts')).toEqual([]);
    expect(targets('http')).toEqual(['queue']);
  });

  it('every project has build, lint, typecheck, test (services serve); build, lint and typecheck are cached with inputs', () => {
    expect(Object.keys(graph.nodes).sort()).toEqual(['contracts', 'http', 'mq', 'platform', 'queue', ...SERVICES].sort());
    for (const [name, { type, data }] of Object.entries(graph.nodes)) {
      const expected = ['build', 'lint', 'typecheck', 'test', ...(type === 'app' ? ['serve'] : [])];
      // nx-release-publish: inferred by @nx/js for a project with a package.json (the publishable library)
      const targets = Object.keys(data.targets).filter((t) => t !== 'nx-release-publish');
      expect([name, targets.sort()]).toEqual([name, expected.sort()]);
      for (const target of ['build', 'lint', 'typecheck']) {
        const { cache, inputs = [] } = data.targets[target];
        expect([name, target, cache, inputs.length > 0]).toEqual([name, target, true, true]);
      }
      expect([name, data.targets.build.outputs]).toEqual([name, ['{workspaceRoot}/dist/{projectRoot}']]);
      expect([name, data.tags]).toEqual([name, expect.arrayContaining([type === 'lib' ? 'type:lib' : 'type:app'])]);
    }
  });

  it('every @nx/* package is pinned to the version of nx', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const nxVersion = pkg.devDependencies.nx;
    expect(nxVersion).toMatch(/^\d+\.\d+\.\d+$/);
    const plugins = Object.entries(pkg.devDependencies).filter(([name]) => name.startsWith('@nx/'));
    expect(plugins.map(([name]) => name).sort()).toEqual(['@nx/eslint', '@nx/eslint-plugin', '@nx/jest', '@nx/js']);
    for (const [name, version] of plugins) expect([name, version]).toEqual([name, nxVersion]);
  });
});
