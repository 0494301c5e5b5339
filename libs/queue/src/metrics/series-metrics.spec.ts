import { Counter, Histogram, Registry } from 'prom-client';
import { SeriesCounter } from './series-counter';
import { SeriesHistogram } from './series-histogram';

/** Label sets with values the exposition must escape, observed in interleaved order. */
const LABEL_SETS = [
  { queue: 'jobs', task_type: 'a', priority: 'normal' },
  { queue: 'jobs', task_type: 'quote"back\\slash\nnewline', priority: 'high' },
  { queue: 'other', task_type: 'a', priority: 'normal' },
];
const BUCKETS = [0.001, 0.01, 0.1, 1];
const VALUES = [0, 0.001, 0.0011, 0.01, 0.05, 0.1, 0.99, 1, 1.5, 1000];

describe('SeriesHistogram', () => {
  test('is exposed exactly as a prom-client Histogram given the same observations (text and JSON)', async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const histogram = new Histogram({
      name: 'h_seconds',
      help: 'Help "text"\\.',
      labelNames: ['queue', 'task_type', 'priority'],
      buckets: BUCKETS,
      registers: [theirs],
    });
    const series = new SeriesHistogram({
      name: 'h_seconds',
      help: 'Help "text"\\.',
      labelNames: ['queue', 'task_type', 'priority'],
      buckets: BUCKETS,
      registry: ours,
    });
    for (const value of VALUES) {
      for (const labels of LABEL_SETS) {
        histogram.observe(labels, value);
        series.series(labels).observe(value);
      }
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    expect(await ours.metrics()).toContain('h_seconds_bucket{le="0.01",queue="jobs",task_type="a",priority="normal"} 4');
  });

  test('a handle is the same object per label set; a value that is not a finite number is ignored; reset zeroes every series', async () => {
    const registry = new Registry();
    const histogram = new SeriesHistogram({ name: 'h', help: 'h', labelNames: ['k'], buckets: [1], registry });
    const handle = histogram.series({ k: 'x' });
    expect(histogram.series({ k: 'x' })).toBe(handle);
    handle.observe(0.5);
    handle.observe(Number.NaN);
    handle.observe(Number.POSITIVE_INFINITY);
    expect(await registry.metrics()).toContain('h_count{k="x"} 1');
    registry.resetMetrics();
    expect(await registry.metrics()).toContain('h_count{k="x"} 0');
    handle.observe(2);
    expect(await registry.metrics()).toContain('h_bucket{le="+Inf",k="x"} 1');
  });
});

describe('SeriesCounter', () => {
  test('is exposed exactly as a prom-client Counter given the same increments, folded in at each read', async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const counter = new Counter({ name: 'c_total', help: 'c', labelNames: ['queue', 'task_type', 'priority'], registers: [theirs] });
    const series = new SeriesCounter({ name: 'c_total', help: 'c', labelNames: ['queue', 'task_type', 'priority'], registry: ours });
    const incAll = (n: number) => {
      for (const [i, labels] of LABEL_SETS.entries()) {
        counter.inc(labels, n + i);
        series.series(labels).inc(n + i);
      }
    };
    incAll(1);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    incAll(5);
    series.series(LABEL_SETS[0]).inc();
    counter.inc(LABEL_SETS[0]);
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toContain('c_total{queue="jobs",task_type="a",priority="normal"} 7');
  });
});
