/** QueueMetrics refuses options it cannot use (a misspelt prefix would be ignored), naming `metrics.<key>`. */
import { Registry } from 'prom-client';
import { parseConfig } from '../config/config-loader';
import { QueueConfigError } from '../errors';
import { QueueMetrics, QueueMetricsOptions } from './queue-metrics';

describe('QueueMetrics options', () => {
  const cases: Array<[string, unknown, string]> = [
    ['a misspelt prefix', { prefx: 'svc_' }, 'metrics.prefx'],
    ['a maxLabelValues below 1', { maxLabelValues: -1 }, 'metrics.maxLabelValues'],
    ['a maxLabelValues that is not an integer', { maxLabelValues: 1.5 }, 'metrics.maxLabelValues'],
    ['a prefix Prometheus refuses', { prefix: 'bad prefix-' }, 'metrics.prefix'],
    ['a prefix starting with a digit', { prefix: '1svc_' }, 'metrics.prefix'],
    ['a defaultMetrics that is not a boolean', { defaultMetrics: 'no' }, 'metrics.defaultMetrics'],
    ['a registry that is not a Registry', { registry: {} }, 'metrics.registry'],
    ['options that are a prefix', 'svc_', 'metrics'],
  ];
  it.each(cases)('refuses %s with QueueConfigError naming it', (_what, options, path) => {
    const create = () => new QueueMetrics(options as QueueMetricsOptions);
    expect(create).toThrow(QueueConfigError);
    expect(create).toThrow(expect.objectContaining({ code: 'QUEUE_CONFIG', path }));
  });

  it('lists what it takes', () => {
    expect(() => new QueueMetrics({ prefx: 'svc_' } as QueueMetricsOptions)).toThrow(
      'metrics.prefx: expected a known option (prefix, defaultMetrics, registry, maxLabelValues), got "prefx"',
    );
  });

  it('takes what the manager builds from the YAML configuration, and an empty prefix', () => {
    const { metrics } = parseConfig({ metrics: { prefix: 'svc:' } }, { env: {} });
    const fromConfig = new QueueMetrics({ prefix: metrics.prefix, defaultMetrics: metrics.default_metrics });
    expect(fromConfig.registry.getSingleMetric('svc:messages_published_total')).toBeDefined();
    const bare = new QueueMetrics({ prefix: '', defaultMetrics: false, registry: new Registry(), maxLabelValues: 1 });
    expect(bare.registry.getSingleMetric('messages_published_total')).toBeDefined();
  });
});
