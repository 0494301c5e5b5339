import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { QueueConfigError } from '../errors';
import type { QueueObserver } from '../queue/queue-observer';
import { PRIORITIES, Priority } from '../queue/queue.types';
import { LabelGuard } from './label-guard';
import { CounterSeries, SeriesCounter } from './series-counter';
import { HistogramSeries, SeriesHistogram } from './series-histogram';
import { boolField, checkKnownKeys, checkOption, intField, knownKeys, stringField } from '../util/fields';

/** What the scrape-time gauges show; produced by the owner (the QueueManager) when Prometheus scrapes. */
export interface MetricsSnapshot {
  queues: Array<{ queue: string; depth: Record<Priority, number>; inFlight: number; delayed: number; deadLetters: number }>;
  /** Redis Streams consumer-group lag per channel (entries not yet delivered to the group). */
  streamLag?: Array<{ channel: string; lag: number }>;
  /** Publishes waiting in a queue's outbox (backup producer) in this process. */
  queueOutbox?: Array<{ queue: string; size: number }>;
  /** Messages waiting in an outbox (published while Redis was unreachable) per bus. */
  outbox?: Array<{ bus: string; size: number }>;
  /** Per event bus of this process: events dropped so far (buffer full, too many waiting producers). */
  eventBuses?: Array<{ bus: string; dropped: number }>;
  /**
   * Connections the owner holds: `up` when ready and answering (the manager: a PING answered within
   * `health.ping_timeout_ms`); the PING's round trip and the time since the connection last
   * answered one, when measured (see `RedisPingProbe`).
   */
  redis: Array<{ connection: string; up: boolean; pingSeconds?: number; lastReplyAgeSeconds?: number }>;
}

export interface QueueMetricsOptions {
  /** Prefix of every metric name of the library (default `mq_`). */
  prefix?: string;
  /** Also collect prom-client's Node.js process metrics into this registry (default true). */
  defaultMetrics?: boolean;
  /** Registry to fill (default: a new one, owned by this object: no global registry is touched). */
  registry?: Registry;
  /** Distinct values kept per label before new ones are reported as `other` (default 100). */
  maxLabelValues?: number;
}

const METRICS_OPTION_KEYS = knownKeys<QueueMetricsOptions>({ prefix: true, defaultMetrics: true, registry: true, maxLabelValues: true });
/** A metric name prefix: empty, or the start of a Prometheus metric name (what YAML `metrics.prefix` takes, or nothing). */
const PREFIX_PATTERN = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?$/;

/**
 * Checks the options of {@link QueueMetrics}: an object of known keys, `prefix` a metric name
 * prefix, `defaultMetrics` a boolean, `registry` a prom-client Registry, `maxLabelValues` a
 * positive integer. Throws QueueConfigError at `metrics` or `metrics.<key>`.
 */
function checkMetricsOptions(options: unknown): QueueMetricsOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new QueueConfigError('metrics', options, 'an options object { prefix, defaultMetrics, registry, maxLabelValues }');
  }
  checkKnownKeys(options, METRICS_OPTION_KEYS, 'metrics');
  const given = options as QueueMetricsOptions;
  if (given.registry !== undefined && !(given.registry instanceof Registry))
    throw new QueueConfigError('metrics.registry', given.registry, 'a prom-client Registry');
  return {
    prefix: checkOption(
      stringField(PREFIX_PATTERN, 'a metric name prefix matching [a-zA-Z_:][a-zA-Z0-9_:]* (or empty)').optional(),
      given.prefix,
      'metrics.prefix',
    ),
    defaultMetrics: checkOption(boolField().optional(), given.defaultMetrics, 'metrics.defaultMetrics'),
    registry: given.registry,
    maxLabelValues: checkOption(intField(1).optional(), given.maxLabelValues, 'metrics.maxLabelValues'),
  };
}

/**
 * prom-client's default process metrics, without its three gauges named `*_total` (the naming
 * guide and `promtool check metrics` reserve that suffix for counters); their per-type twins
 * (`nodejs_active_handles{type}`, `nodejs_active_requests{type}`, `nodejs_active_resources{type}`) stay.
 */
function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800];

type TaskLabel = 'queue' | 'task_type' | 'priority';
const TASK_LABELS: readonly TaskLabel[] = ['queue', 'task_type', 'priority'];

/** The handles of one (queue, task type, priority). */
interface TaskSeries {
  labels: Readonly<Record<TaskLabel, string>>;
  published: CounterSeries<TaskLabel>;
  processed: CounterSeries<TaskLabel>;
  failed: CounterSeries<TaskLabel>;
  retried: CounterSeries<TaskLabel>;
  wait: HistogramSeries;
}

/**
 * Past this many cached combinations the cache starts over: keys hold the raw task type, which a
 * producer may vary without bound (the series themselves are bounded by the label guard).
 */
const MAX_CACHED_SERIES = 10_000;

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= MAX_CACHED_SERIES) cache.clear();
  cache.set(key, value);
}

/**
 * The Prometheus metrics of one QueueManager in its own prom-client {@link Registry}. Counters and
 * histograms are fed by {@link queueObserver} (pass it to `createQueue`) and the `event*` methods;
 * gauges are computed at scrape time from the snapshot source. Names follow the Prometheus naming
 * guide (`_total`, `_seconds`); labels are bounded (`queue`, `task_type`, `priority`, `outcome`,
 * `channel`, `bus`, `connection`). See `docs/metrics.md`.
 */
export class QueueMetrics {
  readonly registry: Registry;
  readonly queueObserver: QueueObserver;
  private readonly types: LabelGuard;
  private readonly channels: LabelGuard;
  private readonly published: SeriesCounter<TaskLabel>;
  private readonly processed: SeriesCounter<TaskLabel>;
  private readonly failed: SeriesCounter<TaskLabel>;
  private readonly retried: SeriesCounter<TaskLabel>;
  private readonly deadLettered: Counter<'queue' | 'task_type' | 'outcome'>;
  private readonly duration: SeriesHistogram<'queue' | 'task_type' | 'outcome'>;
  private readonly wait: SeriesHistogram<TaskLabel>;
  /** The series of each (queue, raw task type, priority) and (queue, raw task type, outcome) seen: one Map lookup per event. */
  private readonly taskSeries = new Map<string, TaskSeries>();
  private readonly durationSeries = new Map<string, HistogramSeries>();
  private readonly events: Record<'published' | 'received', Counter<'bus' | 'channel'>>;
  private readonly durabilityTimeouts: Counter<'component' | 'operation'>;
  private source?: () => Promise<MetricsSnapshot>;
  private pending?: { at: number; promise: Promise<MetricsSnapshot | null> };

  /** @throws QueueConfigError at `metrics.<key>` for an unknown option or a bad value (a prefix Prometheus refuses, `maxLabelValues` < 1). */
  constructor(given?: QueueMetricsOptions) {
    const options = checkMetricsOptions(given);
    const p = options.prefix ?? 'mq_';
    const registry = (this.registry = options.registry ?? new Registry());
    if (options.defaultMetrics ?? true) collectProcessMetrics(registry);
    this.types = new LabelGuard(options.maxLabelValues);
    this.channels = new LabelGuard(options.maxLabelValues);
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new Counter<L>({ name: p + name, help, labelNames, registers: [registry] });
    const taskCounter = (name: string, help: string) => new SeriesCounter<TaskLabel>({ name: p + name, help, labelNames: TASK_LABELS, registry });
    this.published = taskCounter('messages_published_total', 'Messages accepted by a queue.');
    this.processed = taskCounter('messages_processed_total', 'Handler runs that completed (message acknowledged).');
    this.failed = taskCounter('messages_failed_total', 'Handler runs that failed (thrown, timed out); each is retried, dead-lettered or dropped.');
    this.retried = taskCounter('messages_retried_total', 'Failed runs scheduled for another attempt.');
    this.deadLettered = counter(
      'messages_dead_lettered_total',
      'Messages moved to the dead-letter queue: outcome="failed" after their last attempt, "rejected" without running (no handler, invalid).',
      ['queue', 'task_type', 'outcome'],
    );
    this.duration = new SeriesHistogram({
      name: `${p}handler_duration_seconds`,
      help: 'Handler run time by outcome (completed, retried, dead, dropped).',
      labelNames: ['queue', 'task_type', 'outcome'],
      buckets: DURATION_BUCKETS,
      registry,
    });
    this.wait = new SeriesHistogram({
      name: `${p}publish_to_start_latency_seconds`,
      help: 'Time from publish to the start of the handler run.',
      labelNames: TASK_LABELS,
      buckets: WAIT_BUCKETS,
      registry,
    });
    this.events = {
      published: counter('events_published_total', 'Events published.', ['bus', 'channel']),
      received: counter('events_received_total', 'Event deliveries to handlers in this process (one per handler).', ['bus', 'channel']),
    };
    this.durabilityTimeouts = counter(
      'durability_timeouts_total',
      'Writes applied on the master that fewer replicas than `durability.replicas` confirmed in time (WAIT); component "queue:<name>", "scheduler" or "dispatcher".',
      ['component', 'operation'],
    );
    this.defineGauges(p, registry);
    this.queueObserver = this.observer();
  }

  /** Sets the function that produces the scrape-time gauge values (called once per scrape). */
  setSnapshotSource(source: () => Promise<MetricsSnapshot>): void {
    this.source = source;
  }

  eventPublished(bus: string, channel: string, count = 1): void {
    this.events.published.inc({ bus, channel: this.channels.value(channel) }, count);
  }

  eventReceived(bus: string, channel: string): void {
    this.events.received.inc({ bus, channel: this.channels.value(channel) });
  }

  /** A write the replicas did not confirm within `durability.timeout_ms` (component `queue:<name>`, `scheduler`, `dispatcher`). */
  durabilityTimeout(component: string, operation: string): void {
    this.durabilityTimeouts.inc({ component, operation });
  }

  /** The exposition text (Prometheus text format 0.0.4), with a fresh snapshot for the gauges. */
  metrics(): Promise<string> {
    this.pending = undefined;
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private observer(): QueueObserver {
    return {
      published: (queue, type, priority, count) => this.seriesOf(queue, type, priority).published.inc(count),
      started: (queue, type, priority, waitMs) => this.seriesOf(queue, type, priority).wait.observe(Math.max(0, waitMs) / 1000),
      finished: (queue, type, priority, outcome, durationMs) => {
        this.durationOf(queue, type, outcome).observe(durationMs / 1000);
        const series = this.seriesOf(queue, type, priority);
        if (outcome === 'completed') {
          series.processed.inc();
          return;
        }
        series.failed.inc();
        if (outcome === 'retried') series.retried.inc();
        if (outcome === 'dead') this.deadLettered.inc({ queue, task_type: series.labels.task_type, outcome: 'failed' });
      },
      rejected: (queue, type) => this.deadLettered.inc({ queue, task_type: this.types.value(type), outcome: 'rejected' }),
      durabilityTimeout: (queue, operation) => this.durabilityTimeout(`queue:${queue}`, operation),
    };
  }

  /** The task series of (queue, type, priority), the type through the label guard (looked up once per new combination). */
  private seriesOf(queue: string, type: string, priority: Priority): TaskSeries {
    const key = `${queue}\u0000${type}\u0000${priority}`;
    let series = this.taskSeries.get(key);
    if (!series) {
      const labels = { queue, task_type: this.types.value(type), priority };
      series = {
        labels,
        published: this.published.series(labels),
        processed: this.processed.series(labels),
        failed: this.failed.series(labels),
        retried: this.retried.series(labels),
        wait: this.wait.series(labels),
      };
      remember(this.taskSeries, key, series);
    }
    return series;
  }

  private durationOf(queue: string, type: string, outcome: string): HistogramSeries {
    const key = `${queue}\u0000${type}\u0000${outcome}`;
    let series = this.durationSeries.get(key);
    if (!series) {
      series = this.duration.series({ queue, task_type: this.types.value(type), outcome });
      remember(this.durationSeries, key, series);
    }
    return series;
  }

  /**
   * One snapshot per scrape, shared by every gauge (a scrape calls each gauge's collect in turn):
   * `metrics()` starts a new one; a direct `registry.metrics()` reuses one younger than 250 ms.
   */
  private snapshot(): Promise<MetricsSnapshot | null> {
    const now = Date.now();
    if (!this.pending || now - this.pending.at > 250) {
      const source = this.source;
      this.pending = { at: now, promise: source ? source().catch(() => null) : Promise.resolve(null) };
    }
    return this.pending.promise;
  }

  private defineGauges(p: string, registry: Registry): void {
    const snapshot = () => this.snapshot();
    const gauge = <L extends string>(name: string, help: string, labelNames: L[], fill: (g: Gauge<L>, s: MetricsSnapshot) => void) =>
      new Gauge<L>({
        name: p + name,
        help,
        labelNames,
        registers: [registry],
        async collect() {
          const s = await snapshot();
          this.reset();
          if (s) fill(this, s);
        },
      });
    new Counter<'bus'>({
      name: `${p}events_dropped_total`,
      help: 'Events dropped by a bus of this process because its handler buffer was full.',
      labelNames: ['bus'],
      registers: [registry],
      async collect() {
        const s = await snapshot();
        this.reset();
        for (const b of s?.eventBuses ?? []) this.inc({ bus: b.bus }, b.dropped);
      },
    });
    gauge('queue_depth', 'Messages ready to run, per priority tier.', ['queue', 'priority'], (g, s) => {
      for (const q of s.queues) for (const priority of PRIORITIES) g.set({ queue: q.queue, priority }, q.depth[priority]);
    });
    gauge('queue_in_flight', 'Messages leased by a worker (all processes).', ['queue'], (g, s) => {
      for (const q of s.queues) g.set({ queue: q.queue }, q.inFlight);
    });
    gauge('queue_delayed', 'Messages waiting for their delay or their retry backoff.', ['queue'], (g, s) => {
      for (const q of s.queues) g.set({ queue: q.queue }, q.delayed);
    });
    gauge('queue_dead_letters', 'Entries in the dead-letter queue.', ['queue'], (g, s) => {
      for (const q of s.queues) g.set({ queue: q.queue }, q.deadLetters);
    });
    gauge('event_stream_lag', 'Redis Streams entries not yet delivered to this consumer group.', ['channel'], (g, s) => {
      // channels past the label guard share `other`: it shows the largest of their lags (what EventStreamLagHigh compares)
      const lags = new Map<string, number>();
      for (const l of s.streamLag ?? []) {
        const channel = this.channels.value(l.channel);
        lags.set(channel, Math.max(lags.get(channel) ?? 0, l.lag));
      }
      for (const [channel, lag] of lags) g.set({ channel }, lag);
    });
    gauge('outbox_size', 'Events kept in the outbox until Redis accepts them.', ['bus'], (g, s) => {
      for (const o of s.outbox ?? []) g.set({ bus: o.bus }, o.size);
    });
    gauge('queue_outbox_size', 'Publishes kept in a queue outbox of this process until Redis accepts them.', ['queue'], (g, s) => {
      for (const o of s.queueOutbox ?? []) g.set({ queue: o.queue }, o.size);
    });
    gauge(
      'redis_connection_up',
      'Redis connections owned by the manager: 1 when ready and a PING was answered within health.ping_timeout_ms at this scrape, 0 otherwise.',
      ['connection'],
      (g, s) => {
        for (const c of s.redis) g.set({ connection: c.connection }, c.up ? 1 : 0);
      },
    );
    gauge(
      'redis_ping_seconds',
      'Round trip of the PING a Redis connection answered at this scrape (absent when it answered none within health.ping_timeout_ms).',
      ['connection'],
      (g, s) => {
        for (const c of s.redis) if (c.pingSeconds !== undefined) g.set({ connection: c.connection }, c.pingSeconds);
      },
    );
    gauge(
      'redis_last_reply_age_seconds',
      'Seconds since a Redis connection last answered a PING: about 0 while it answers, growing while Redis is down or stalled.',
      ['connection'],
      (g, s) => {
        for (const c of s.redis) if (c.lastReplyAgeSeconds !== undefined) g.set({ connection: c.connection }, c.lastReplyAgeSeconds);
      },
    );
  }
}
