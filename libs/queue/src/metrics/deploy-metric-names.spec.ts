import { readFileSync } from 'fs';
import { join } from 'path';
import { load } from 'js-yaml';
import { QueueManager } from '../manager';
import { quietLogger, RedisServerHandle, spawnRedis, waitFor } from '../testing';
import { promqlNames } from '../testing/promql-names';

/**
 * What an operator's Prometheus and Grafana read must be what a QueueManager exports: every series
 * name and label that deploy/prometheus/alerts.yml (expressions and the queries of its templates)
 * and deploy/grafana/dashboards/meeting-queue.json use, and every metric docs/metrics.md lists,
 * with its type and labels, checked against a real manager's scrape (Redis, a redis_stream bus).
 */

const ROOT = join(__dirname, '..', '..', '..', '..');
/** Labels Prometheus adds to every scraped series (plus what the scrape configs set, deploy/prometheus). */
const TARGET_LABELS = ['instance', 'job', 'pod', 'app_kubernetes_io_part_of'];
/** Series Prometheus makes itself. */
const PROMETHEUS_SERIES = new Set(['up']);
/**
 * Metrics of the HTTP layer (QueueModule's interceptor, `@meeting/http`), not of a bare manager:
 * checked against a running service by apps/ai-service/src/deploy/grafana-dashboard.e2e.spec.ts.
 */
const HTTP_METRIC = /^http_/;

interface Scrape {
  /** Series name (`x_bucket` too) -> label names seen on its samples. */
  series: Map<string, Set<string>>;
  /** Metric family name -> `# TYPE`. */
  types: Map<string, string>;
}

function parseExposition(text: string): Scrape {
  const series = new Map<string, Set<string>>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1], type[2]);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? /.exec(line);
    if (!sample) continue;
    const names = series.get(sample[1]) ?? new Set<string>();
    for (const l of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) names.add(l[1]);
    series.set(sample[1], names);
  }
  return { series, types };
}

/** Problems of one PromQL expression against the scrape: unknown series, labels on none of its series. */
function check(where: string, expr: string, scrape: Scrape): string[] {
  const { metrics, labels } = promqlNames(expr);
  const problems: string[] = metrics.length === 0 ? [`${where}: no metric in ${expr}`] : [];
  const known = new Set(TARGET_LABELS);
  let skipLabels = false;
  for (const metric of metrics) {
    if (PROMETHEUS_SERIES.has(metric) || HTTP_METRIC.test(metric)) {
      skipLabels ||= HTTP_METRIC.test(metric);
      continue;
    }
    const seen = scrape.series.get(metric);
    if (!seen) problems.push(`${where}: ${metric} is not exported`);
    else seen.forEach((l) => known.add(l));
  }
  if (!skipLabels) for (const label of labels) if (!known.has(label)) problems.push(`${where}: label ${label} is on none of ${metrics.join(', ')}`);
  return problems;
}

interface Rule {
  alert: string;
  expr: string;
  annotations?: Record<string, string>;
}

/** Every expression of the alert rules: the rule's own and the `query`-piped ones of its templates (in backquotes). */
function alertExpressions(): Array<{ where: string; expr: string }> {
  const file = load(readFileSync(join(ROOT, 'deploy', 'prometheus', 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Rule[] }> };
  return file.groups.flatMap((g) =>
    g.rules.flatMap((r) => [
      { where: `alert ${r.alert}`, expr: r.expr },
      ...Object.entries(r.annotations ?? {}).flatMap(([key, text]) =>
        [...text.matchAll(/`([^`]*)`/g)].map((m) => ({ where: `alert ${r.alert} ${key}`, expr: m[1].replace(/%s/g, '') })),
      ),
    ]),
  );
}

function dashboardExpressions(): Array<{ where: string; expr: string }> {
  const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy', 'grafana', 'dashboards', 'meeting-queue.json'), 'utf8')) as {
    panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
  };
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel ${p.title}`, expr: t.expr })));
}

/** The rows of docs/metrics.md's tables that name an `mq_` metric: name, type (gauge for the scrape-time table), labels. */
function documentedMetrics(): Array<{ name: string; type: string; labels: string[] }> {
  const rows: Array<{ name: string; type: string; labels: string[] }> = [];
  for (const line of readFileSync(join(ROOT, 'docs', 'metrics.md'), 'utf8').split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const name = /^`(mq_[a-z_]+)`$/.exec(cells[1] ?? '')?.[1];
    if (!name) continue;
    const typed = ['counter', 'histogram', 'gauge'].includes(cells[2]);
    const labelCell = typed ? cells[3] : cells[2];
    rows.push({ name, type: typed ? cells[2] : 'gauge', labels: labelCell.split(',').map((l) => l.trim()) });
  }
  return rows;
}

describe('deploy/ and docs/metrics.md against what a QueueManager exports', () => {
  let redis: RedisServerHandle;
  let manager: QueueManager;
  let scrape: Scrape;

  beforeAll(async () => {
    redis = await spawnRedis();
    manager = await QueueManager.create(
      {
        service_name: 'svc',
        redis: { url: redis.url },
        message_queue: { queue_name: 'tasks', retry_backoff: { base_ms: 1, jitter: 0 } },
        event_bus: { type: 'redis_stream' },
        metrics: { default_metrics: false },
      },
      { env: {}, logger: quietLogger },
    );
    const events: string[] = [];
    manager.subscribe('meeting_events', (event) => void events.push(event.type));
    let flaky = 0;
    manager.registerTaskHandler('ok', () => 'done');
    manager.registerTaskHandler('flaky', () => {
      if (flaky++ === 0) throw new Error('first attempt fails');
    });
    manager.registerTaskHandler('broken', () => {
      throw new Error('never works');
    });
    await manager.start();
    const queue = manager.queue('tasks');
    await queue.publishBatch([{ type: 'ok' }, { type: 'flaky', maxRetries: 1 }, { type: 'broken', maxRetries: 0 }]);
    await manager.publishEvent('meeting_events', 'meeting.started', { id: 'm1' });
    manager.metrics!.durabilityTimeout('queue:tasks', 'publish'); // needs replicas to happen for real
    const text = await waitFor(async () => {
      const stats = await queue.stats();
      return stats.total_processed === 2 && stats.dead_letter_count === 1 && events.length === 1 && manager.metrics!.metrics();
    }, 'the work done and the event handled');
    scrape = parseExposition(text);
  });

  afterAll(async () => {
    await manager?.shutdown({ drainTimeoutMs: 1000 });
    await redis?.cleanup();
  });

  it('finds names in the PromQL that deploy/ writes', () => {
    expect(promqlNames('histogram_quantile(0.99, sum by (queue, le) (rate(mq_x_bucket{a="b c"}[5m]))) > 5')).toEqual({
      metrics: ['mq_x_bucket'],
      labels: ['a', 'queue', 'le'],
    });
    expect(promqlNames('max by (instance) (a) > 0 or max(b{instance="",connection=""}) * 1e3')).toEqual({
      metrics: ['a', 'b'],
      labels: ['instance', 'connection', 'instance'],
    });
    expect(promqlNames('sum(rate(c[$__rate_interval]))')).toEqual({ metrics: ['c'], labels: [] });
  });

  it('every series and label of the alert rules and their templates is exported', () => {
    const expressions = alertExpressions();
    expect(expressions.length).toBeGreaterThanOrEqual(9); // 8 rules and RedisConnectionDown's template query
    expect(expressions.flatMap(({ where, expr }) => check(where, expr, scrape))).toEqual([]);
  });

  it('every series and label of the Grafana dashboard is exported', () => {
    const expressions = dashboardExpressions();
    expect(expressions.length).toBeGreaterThanOrEqual(12);
    expect(expressions.flatMap(({ where, expr }) => check(where, expr, scrape))).toEqual([]);
  });

  it('every metric docs/metrics.md lists is exported with the stated type and labels, and none is left out', () => {
    const documented = documentedMetrics();
    const problems: string[] = [];
    for (const { name, type, labels } of documented) {
      const actual = scrape.types.get(name);
      if (actual !== type) problems.push(`${name}: documented ${type}, exported ${actual ?? 'not at all'}`);
      const sampleName = type === 'histogram' ? `${name}_count` : name;
      const seen = [...(scrape.series.get(sampleName) ?? [])].sort();
      if (seen.join(',') !== [...labels].sort().join(',')) problems.push(`${name}: documented labels ${labels.join(', ')}, exported ${seen.join(', ')}`);
    }
    const undocumented = [...scrape.types.keys()].filter((n) => !documented.some((d) => d.name === n));
    expect(problems).toEqual([]);
    expect(undocumented).toEqual([]);
  });
});
