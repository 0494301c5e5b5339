import type { Metric, Registry } from 'prom-client';
import { SeriesTable } from './series-table';

/** One label set of a {@link SeriesHistogram}: `observe` is a bucket search and three additions. */
export class HistogramSeries {
  /** Observations per bucket (not cumulative); past the last bound only `count` grows (`+Inf`). */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = bounds.map(() => 0);
  }

  /** Counts `value` (seconds); a value that is not a finite number is ignored, as a metric must never fail its caller. */
  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    if (i < bounds.length) this.counts[i]++;
    this.sum += value;
    this.count++;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

export interface SeriesHistogramConfig<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  buckets: readonly number[];
  registry: Registry;
}

/** A value line as prom-client's registry reads it: the series' labels apart from the line's own (`le`). */
interface ValueLine {
  value: number;
  metricName: string;
  labels: Record<string, string | number>;
  sharedLabels: Readonly<Record<string, string>>;
  /** prom-client's bucket lines carry `exemplar: null` (exemplars are off); kept so the JSON is the same. */
  exemplar?: null;
}

/**
 * A Prometheus histogram whose label sets are handles: `series(labels)` once, then
 * `series.observe(v)` per event. prom-client's `Histogram.observe(labels, v)` validates, builds and
 * hashes the label set on every call (0.4-0.5 µs; two per processed message); a handle costs a bucket
 * search. It is registered in a prom-client `Registry` and exposed exactly as prom-client exposes its
 * own histograms (the same lines, labels and order, in text and JSON: see its spec).
 */
export class SeriesHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  private readonly bounds: readonly number[];
  private readonly table: SeriesTable<L, HistogramSeries>;

  constructor(config: SeriesHistogramConfig<L>) {
    this.name = config.name;
    this.help = config.help;
    const bounds = (this.bounds = [...config.buckets].sort((a, b) => a - b));
    this.table = new SeriesTable(config.labelNames, (labels) => new HistogramSeries(labels, bounds));
    // prom-client's Registry reads any object with name, help, type, aggregator, get() and reset();
    // its Metric type lists only its own four classes, hence the cast.
    config.registry.registerMetric(this as unknown as Metric);
  }

  /** The handle of one label set (made on first use, then the same object). */
  series(labels: Readonly<Record<L, string>>): HistogramSeries {
    return this.table.get(labels);
  }

  /** The exposition lines in prom-client's form (the registry formats text from these). */
  async getForPromString(): Promise<{ name: string; help: string; type: string; aggregator: string; values: ValueLine[] }> {
    const values: ValueLine[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.table.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += s.counts[i];
        values.push({ value: cumulative, metricName: bucket, labels: { le: this.bounds[i] }, sharedLabels: s.labels, exemplar: null });
      }
      values.push(
        { value: s.count, metricName: bucket, labels: { le: '+Inf' }, sharedLabels: s.labels, exemplar: null },
        { value: s.sum, metricName: `${this.name}_sum`, labels: {}, sharedLabels: s.labels },
        { value: s.count, metricName: `${this.name}_count`, labels: {}, sharedLabels: s.labels },
      );
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** The same values with each line's labels merged (what `registry.getMetricsAsJSON()` returns). */
  async get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: Array<{ value: number; metricName: string; labels: Record<string, string | number>; exemplar?: null }>;
  }> {
    const data = await this.getForPromString();
    return { ...data, values: data.values.map(({ sharedLabels, labels, ...line }) => ({ ...line, labels: { ...labels, ...sharedLabels } })) };
  }

  /** Zeroes every series (`registry.resetMetrics()`); handles stay valid. */
  reset(): void {
    for (const s of this.table.values()) s.reset();
  }
}
