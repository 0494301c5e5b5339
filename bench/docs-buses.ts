import type { BenchReport, SystemRun } from './harness';
import { formatValue } from './harness';
import { scenarioById } from './report';

/** Ids of the event-bus scenarios (ours only), in the order the section lists them. */
export const BUS_SCENARIOS = ['bus-pubsub-fanout', 'bus-streams', 'bus-local'];

interface BusDetail {
  events?: number;
  cpuPerEvent?: Record<string, { nodeUsPerEvent: number; redisUsPerEvent?: number }>;
  perSubscriberRates?: number[];
  publishRate?: number;
  handledPerConsumer?: { backlog: number[]; endToEnd: number[] };
  endToEndPublishRate?: number;
  commandsPerEvent?: Record<string, Record<string, number>>;
}

const count = (n: number | undefined) => (n === undefined ? '?' : n.toLocaleString('en-US'));

/** The "Event buses" section of docs/benchmarks.md: settings, figures with CPU per event, what was verified. */
export function renderBusSection(report: BenchReport): string {
  const present = BUS_SCENARIOS.map((id) => scenarioById(report, id)).filter((s) => s !== undefined);
  const head = `## Event buses

Ours only: BullMQ has no event bus, so these rows show "n/a" for BullMQ and no ratio in the tables above.`;
  if (present.length === 0) {
    return `${head}

Not measured in this run: \`npm run bench -- --only ${BUS_SCENARIOS.join(',')}\`, then \`--docs-from\` with both result files.
`;
  }
  const detail = (id: string): BusDetail | undefined => scenarioById(report, id)?.runs.ours?.detail as BusDetail | undefined;
  const fan = detail('bus-pubsub-fanout');
  const str = detail('bus-streams');
  const loc = detail('bus-local');
  const rows: string[] = [];
  const notes: string[] = [];
  for (const s of present) {
    const run: SystemRun | undefined = s.runs.ours;
    const d = run?.detail as BusDetail | undefined;
    for (const m of s.metrics) {
      const cpu = d?.cpuPerEvent?.[m.key];
      const cpuText = !cpu
        ? ''
        : cpu.redisUsPerEvent === undefined
          ? `${cpu.nodeUsPerEvent.toFixed(1)} (no Redis)`
          : `${cpu.nodeUsPerEvent.toFixed(1)} + ${cpu.redisUsPerEvent.toFixed(1)}`;
      const value = run?.ok ? formatValue(run.metrics[m.key], m.unit) : run ? `FAIL: ${run.error}` : 'not run';
      rows.push(`| ${m.label} | ${count(d?.events)} | ${value} | ${cpuText} |`);
    }
  }
  if (fan?.perSubscriberRates) {
    notes.push(
      `- Pub/sub fan-out: the three subscribers finished at ${fan.perSubscriberRates.map((r) => formatValue(r, 'events/s')).join(', ')} events/s each; the publisher's own rate (held within 10,000 events of the slowest subscriber) ${formatValue(fan.publishRate, 'events/s')} events/s. CPU per delivery (one event reaching one subscriber, a third of its publish included).`,
    );
  }
  if (str?.handledPerConsumer) {
    notes.push(
      `- Streams: the two consumers of the group handled ${str.handledPerConsumer.backlog.map(count).join(' / ')} events of the backlog and ${str.handledPerConsumer.endToEnd.map(count).join(' / ')} when publishing and consuming together; the publisher's own rate then was ${formatValue(str.endToEndPublishRate, 'events/s')} events/s.`,
    );
  }
  if (str?.commandsPerEvent) {
    const list = (m: Record<string, number>) =>
      Object.entries(m)
        .filter(([, v]) => v >= 0.001)
        .sort((a, b) => b[1] - a[1])
        .map(([c, v]) => `${c} ${v}`)
        .join(', ');
    notes.push(
      `- Streams, Redis commands per event (INFO commandstats, inside scripts included): publish ${list(str.commandsPerEvent.publish ?? {})}; consume ${list(str.commandsPerEvent.consume ?? {})}; together ${list(str.commandsPerEvent.endToEnd ?? {})}.`,
    );
  }
  return `${head}

Same server and process layout as the queue scenarios (publishers, subscribers and measurement in one
Node process). Each Redis bus has its own client (\`createRedisClient\`, library defaults) and the bus
defaults: \`bufferSize\` 1000, \`workers\` 4, \`bufferFullPolicy\` \`wait\`, prefix \`ev\`. No-op handlers;
each event is a CloudEvents envelope of type \`bench.event\` with data \`{"i":<n>}\`.

- \`bus-pubsub-fanout\` (\`redis_pubsub\`): ${count(fan?.events)} events, one publisher bus (\`publishBatch\` of
  ${report.sizes.batchSize}, one batch in flight, kept within 10,000 events of the slowest subscriber so Redis's pub/sub output
  buffers stay small), three subscriber buses (three connections) on one channel. Timed from the first
  publish until every subscriber had every event. Verified: each subscriber received each event exactly
  once, and no bus counted a drop, an invalid message or a handler error.
- \`bus-streams\` (\`redis_stream\`): one consumer group (service \`bench-consumer\`) of two consumer buses
  (consumer names \`c0\`, \`c1\`, default \`readCount\` 100, acknowledgement per event), retention raised to
  4x the events so nothing unread is trimmed (\`XADD MAXLEN ~\` still runs). Three phases of ${count(str?.events)} events:
  publish only (batches of ${report.sizes.batchSize}, one in flight, no consumer running, the group already created),
  consume that backlog (from the consumers' subscribe until every event was handled and \`XINFO GROUPS\`
  shows nothing pending or undelivered), then publish and consume together (from the first publish
  until the same). Verified: every event handled exactly once across the two consumers, none
  redelivered, the stream holding exactly what was published, no drop, invalid message or handler error.
- \`bus-local\` (\`local\`): ${count(loc?.events)} \`emit\`s awaited one after the other (each resolves once buffered), timed
  until the handler ran for all; then ${count(loc?.events)} \`emitAndWait\` one at a time. Verified: the handler ran
  exactly once per event, no emit dropped, \`total_processed\` equal to the events emitted.

| scenario | events | events/s | CPU per event, Node µs + redis-server µs |
|---|---:|---:|---:|
${rows.join('\n')}

${notes.join('\n')}
`;
}
