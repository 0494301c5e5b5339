import { INestApplication } from '@nestjs/common';
import { readFileSync } from 'fs';
import { join } from 'path';
import request from 'supertest';
import { QueueManager } from '@meeting/queue';
import { promqlNames, RedisServerHandle, spawnRedis, waitFor } from '@meeting/queue/testing';
import { startAiService, startMeetingServiceStandIn } from '../testing/ai-service-harness';

const DASHBOARD = join(__dirname, '..', '..', '..', '..', 'deploy', 'grafana', 'dashboards', 'meeting-queue.json');
/**
 * Labels Prometheus adds to every scraped series (instance, job), and those the scrape configs of
 * deploy/prometheus set: pod and namespace (Kubernetes pod job), app_kubernetes_io_part_of and
 * app_kubernetes_io_name (both setups).
 */
const TARGET_LABELS = ['instance', 'job', 'pod', 'namespace', 'app_kubernetes_io_part_of', 'app_kubernetes_io_name'];

interface Dashboard {
  uid: string;
  panels: Array<{ id: number; title: string; datasource: { uid: string }; targets: Array<{ expr: string }> }>;
}

/** Series names of an exposition with the label names seen on each. */
function exposition(text: string): Map<string, Set<string>> {
  const series = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? /.exec(line);
    if (!m) continue;
    const names = series.get(m[1]) ?? new Set<string>();
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) names.add(l[1]);
    series.set(m[1], names);
  }
  return series;
}

describe('deploy/grafana dashboard against a running service', () => {
  let server: RedisServerHandle;
  let app: INestApplication;
  let caller: QueueManager;

  beforeAll(async () => {
    server = await spawnRedis();
    app = await startAiService(server.url);
    caller = await startMeetingServiceStandIn(server.url, ['speech_recognition'], 1);
  });

  afterAll(async () => {
    await app?.close();
    await caller?.shutdown({ drainTimeoutMs: 1000 });
    await server?.cleanup();
  });

  it('parses the PromQL the dashboard writes', () => {
    expect(promqlNames('histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket{method="GET"}[$__rate_interval])))')).toEqual({
      metrics: ['http_request_duration_seconds_bucket'],
      labels: ['method', 'le', 'route'],
    });
    expect(promqlNames('sum by (a) (rate(x_sum[5m])) / sum by (a) (rate(x_count[5m]))')).toEqual({ metrics: ['x_sum', 'x_count'], labels: ['a', 'a'] });
  });

  it('uses only metric names and labels that the service exports on /metrics', async () => {
    // Work and HTTP traffic first, so that histograms and counters have series: a task published by
    // the service itself, one dispatched by another, one that times out, is retried and dead-lettered.
    await app
      .get(QueueManager)
      .queue('ai_tasks')
      .publish({ type: 'speech_recognition', payload: { meetingId: 'm1', audio: 'text:own' } });
    await caller.dispatcher.dispatchAndWait('speech_recognition', { meetingId: 'm1', audio: 'text:hello' }, { timeoutMs: 5000 });
    await caller.dispatcher
      .dispatchAndWait('speech_recognition', { meetingId: 'm1', audio: 'long', durationMs: 60_000 }, { timeoutMs: 10_000, taskTimeoutMs: 30 })
      .catch((e: unknown) => e);
    await caller.events.publish('meeting_events', 'meeting.started', { meetingId: 'm1' });
    const http = app.getHttpServer();
    await request(http).get('/models').expect(200);
    // A real durability timeout needs Redis replicas that do not answer WAIT: counted by hand, so the counter has a series.
    const metrics = app.get(QueueManager).metrics;
    if (!metrics) throw new Error('ai-service runs without metrics: nothing to check the dashboard against');
    metrics.durabilityTimeout('queue:ai_tasks', 'completion');
    const text = await waitFor(async () => {
      const t = (await request(http).get('/metrics').expect(200)).text;
      return /^mq_messages_dead_lettered_total\{/m.test(t) && /^mq_event_stream_lag\{/m.test(t) && /^mq_durability_timeouts_total\{/m.test(t) && t;
    }, 'dead-letter, stream-lag and durability-timeout series');
    const series = exposition(text);
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
    const problems: string[] = [];
    let queries = 0;
    for (const panel of dashboard.panels) {
      expect(panel.targets.length).toBeGreaterThan(0);
      for (const { expr } of panel.targets) {
        queries++;
        const { metrics, labels } = promqlNames(expr);
        if (metrics.length === 0) problems.push(`${panel.title}: no metric in ${expr}`);
        const known = new Set<string>(TARGET_LABELS);
        for (const metric of metrics) {
          const labelsOf = series.get(metric);
          if (!labelsOf) problems.push(`${panel.title}: ${metric} is not exported`);
          else labelsOf.forEach((l) => known.add(l));
        }
        for (const label of labels) if (!known.has(label)) problems.push(`${panel.title}: label ${label} is not on ${metrics.join(', ')}`);
      }
    }
    expect(problems).toEqual([]);
    expect(queries).toBeGreaterThanOrEqual(12);
    // The panels the operator needs are there.
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    for (const metric of [
      'mq_messages_processed_total',
      'mq_publish_to_start_latency_seconds_bucket',
      'mq_handler_duration_seconds_bucket',
      'mq_queue_depth',
      'mq_queue_in_flight',
      'mq_queue_delayed',
      'mq_queue_dead_letters',
      'mq_event_stream_lag',
      'mq_outbox_size',
      'mq_redis_connection_up',
      'mq_redis_ping_seconds',
      'mq_redis_last_reply_age_seconds',
      'mq_durability_timeouts_total',
      'http_request_duration_seconds_bucket',
    ]) {
      expect(exprs).toContain(metric);
    }
  });

  it('is a dashboard Grafana provisions: unique panel ids, the provisioned datasource', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
    expect(dashboard.uid).toBe('meeting-queue');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) expect(p.datasource.uid).toBe('prometheus');
    const datasource = readFileSync(join(DASHBOARD, '..', '..', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8');
    expect(datasource).toMatch(/uid: prometheus\b/);
  });
});
