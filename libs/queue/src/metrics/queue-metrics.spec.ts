import { NonRetryableError } from '../errors';
import { createQueue } from '../queue/create-queue';
import { metricSample, promtool, waitFor } from '../testing';
import { QueueMetrics } from './queue-metrics';

describe('QueueMetrics', () => {
  it('counts what the queue does, computes gauges at scrape time and passes promtool check metrics', async () => {
    const metrics = new QueueMetrics();
    const queue = createQueue({ name: 'jobs', backend: { type: 'memory' }, observer: metrics.queueObserver, maxRetries: 1, backoff: { baseMs: 1, jitter: 0 } });
    metrics.setSnapshotSource(async () => {
      const s = await queue.stats();
      return {
        queues: [{ queue: 'jobs', depth: s.queue_length, inFlight: s.processing_count, delayed: s.delayed_count, deadLetters: s.dead_letter_count }],
        streamLag: [{ channel: 'meeting_events', lag: 7 }],
        outbox: [{ bus: 'redis_stream', size: 2 }],
        eventBuses: [{ bus: 'local', dropped: 4 }],
        redis: [
          { connection: 'commands-0', up: true, pingSeconds: 0.0004, lastReplyAgeSeconds: 0.0001 },
          { connection: 'subscriber', up: false, lastReplyAgeSeconds: 42 },
        ],
      };
    });
    try {
      await exercise(queue, metrics);
    } finally {
      await queue.close({ drainTimeoutMs: 1000 });
    }
  });

  async function exercise(queue: ReturnType<typeof createQueue>, metrics: QueueMetrics): Promise<void> {
    let flaky = 0;
    queue.process('ok', () => 'done');
    queue.process('flaky', () => {
      if (flaky++ === 0) throw new Error('first attempt fails');
      return 'second works';
    });
    queue.process('broken', () => {
      throw new NonRetryableError('never works');
    });
    await queue.publishBatch([{ type: 'ok', priority: 'high' }, { type: 'ok' }, { type: 'flaky' }, { type: 'broken', priority: 'low' }]);
    await queue.publish({ type: 'later', delayMs: 60_000 });
    metrics.eventPublished('redis_pubsub', 'meeting_events', 3);
    metrics.eventReceived('redis_pubsub', 'meeting_events');
    await waitFor(async () => (await queue.stats()).total_processed === 3 && (await queue.stats()).dead_letter_count === 1);

    const text = await metrics.metrics();
    expect(metricSample(text, 'mq_messages_published_total', { queue: 'jobs', task_type: 'ok', priority: 'high' })).toBe(1);
    expect(metricSample(text, 'mq_messages_published_total', { task_type: 'later', priority: 'normal' })).toBe(1);
    expect(metricSample(text, 'mq_messages_processed_total', { task_type: 'ok', priority: 'normal' })).toBe(1);
    expect(metricSample(text, 'mq_messages_processed_total', { task_type: 'flaky' })).toBe(1);
    expect(metricSample(text, 'mq_messages_failed_total', { task_type: 'flaky' })).toBe(1);
    expect(metricSample(text, 'mq_messages_retried_total', { task_type: 'flaky' })).toBe(1);
    expect(metricSample(text, 'mq_messages_failed_total', { task_type: 'broken', priority: 'low' })).toBe(1);
    expect(metricSample(text, 'mq_messages_dead_lettered_total', { task_type: 'broken', outcome: 'failed' })).toBe(1);
    expect(metricSample(text, 'mq_handler_duration_seconds_count', { task_type: 'ok', outcome: 'completed' })).toBe(2);
    // first attempts only: the retry of 'flaky' is not a wait (its backoff)
    expect(metricSample(text, 'mq_publish_to_start_latency_seconds_count', { task_type: 'flaky' })).toBe(1);
    expect(metricSample(text, 'mq_queue_delayed', { queue: 'jobs' })).toBe(1);
    expect(metricSample(text, 'mq_queue_depth', { queue: 'jobs', priority: 'critical' })).toBe(0);
    expect(metricSample(text, 'mq_queue_dead_letters', { queue: 'jobs' })).toBe(1);
    expect(metricSample(text, 'mq_event_stream_lag', { channel: 'meeting_events' })).toBe(7);
    expect(metricSample(text, 'mq_outbox_size', { bus: 'redis_stream' })).toBe(2);
    expect(metricSample(text, 'mq_redis_connection_up', { connection: 'subscriber' })).toBe(0);
    expect(metricSample(text, 'mq_redis_ping_seconds', { connection: 'commands-0' })).toBe(0.0004);
    expect(metricSample(text, 'mq_redis_ping_seconds', { connection: 'subscriber' })).toBeUndefined(); // no answer: no stale round trip
    expect(metricSample(text, 'mq_redis_last_reply_age_seconds', { connection: 'subscriber' })).toBe(42);
    expect(metricSample(text, 'mq_events_published_total', { bus: 'redis_pubsub', channel: 'meeting_events' })).toBe(3);
    expect(metricSample(text, 'mq_events_dropped_total', { bus: 'local' })).toBe(4);
    expect(metricSample(text, 'mq_events_received_total', { bus: 'redis_pubsub', channel: 'meeting_events' })).toBe(1);
    expect(metricSample(text, 'process_cpu_seconds_total')).toBeGreaterThanOrEqual(0);

    // promtool lints names, types, HELP and the text format; it exits non-zero on any problem.
    expect(promtool(['check', 'metrics'], { input: text })).toBe('');
    expect(metricSample(text, 'nodejs_active_handles')).toBeGreaterThan(0);
  }

  it('bounds the task_type label: new values past the limit are reported as "other"', async () => {
    const metrics = new QueueMetrics({ defaultMetrics: false, maxLabelValues: 2, prefix: 'app_' });
    for (const type of ['a', 'b', 'c', 'd']) metrics.queueObserver.published!('q', type, 'normal', 1);
    const text = await metrics.metrics();
    expect(metricSample(text, 'app_messages_published_total', { task_type: 'b' })).toBe(1);
    expect(metricSample(text, 'app_messages_published_total', { task_type: 'other' })).toBe(2);
    expect(metricSample(text, 'app_messages_published_total', { task_type: 'c' })).toBeUndefined();
    expect(text).not.toContain('process_cpu');
  });

  it('the stream lag of the channels past the label bound is the largest of theirs, not whichever came last', async () => {
    const metrics = new QueueMetrics({ defaultMetrics: false, maxLabelValues: 1 });
    const streamLag = [
      { channel: 'first', lag: 1 },
      { channel: 'b', lag: 5000 },
      { channel: 'c', lag: 2 },
    ];
    metrics.setSnapshotSource(async () => ({ queues: [], redis: [], streamLag }));
    const text = await metrics.metrics();
    expect(metricSample(text, 'mq_event_stream_lag', { channel: 'first' })).toBe(1);
    expect(metricSample(text, 'mq_event_stream_lag', { channel: 'other' })).toBe(5000);
  });
});
