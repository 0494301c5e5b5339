import { existsSync, readFileSync, writeFileSync } from 'fs';
import type { BenchReport } from './harness';
import { formatValue } from './harness';
import { BULK_IN_FLIGHT } from './scenarios/bulk-publish';
import { MIN_LOAD_SAMPLES } from './scenarios/latency';
import { MIN_WINDOW_MESSAGES } from './scenarios/steady';
import { renderBusSection } from './docs-buses';
import { CpuShare, describeCpuShare } from './lib/cpu-meter';
import { describeSlowCommands, SlowCommands } from './lib/redis-info';
import { bars, cellText, ratioText, rows, scenarioById } from './report';
import { HANDLER_MS as PREEMPTION_HANDLER_MS } from './scenarios/priority-preemption';
import { SYSTEM_LABELS } from './systems';

const START = '<!-- limits:start (hand-written, kept when the bench regenerates this file) -->';
const END = '<!-- limits:end -->';
const PLACEHOLDER = 'Not profiled yet: see the bars above.';

/** Regenerates docs/benchmarks.md from a full run, keeping the hand-written "What limits it now" section. */
export function writeBenchmarksDoc(path: string, report: BenchReport, resultsFile: string): void {
  const old = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const kept = old.includes(START) && old.includes(END) ? old.slice(old.indexOf(START) + START.length, old.indexOf(END)).trim() : PLACEHOLDER;
  writeFileSync(path, render(report, resultsFile, kept));
}

function render(report: BenchReport, resultsFile: string, limits: string): string {
  const m = report.machine;
  const s = report.sizes;
  const loads = report.scenarios.flatMap((x) => Object.values(x.runs).flatMap((r) => r?.loadavg ?? []));
  const load = loads.length ? `${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)}` : 'not recorded';
  const table = rows(report).map(
    (r) => `| ${r.metric.label} | ${r.metric.unit} | ${cellText(r, 'ours', 'FAIL')} | ${cellText(r, 'bullmq', 'FAIL')} | ${ratioText(r)} |`,
  );
  const barLines = bars(report).map((b) => `| ${b.name} | ${b.met ? '**met**' : '**missed**'} | ${b.figure} |`);
  return `# Benchmarks: our queue side by side with BullMQ

${generatedLine(report, resultsFile)}
(git-ignored, regenerate them). Only the section "What limits it now" is written by hand.

## How to run

\`\`\`sh
npm run bench                      # full run, a few minutes; writes bench/results/<time>.json and this file
npm run bench -- --smoke           # 1,000-2,000 messages per scenario, ~20 s (a minute or two on a busy machine); does not touch this file
npm run bench -- --only steady,latency-idle --systems ours
npm run bench -- --idle-seconds 60 # longer idle-worker window (our worker blocks 30 s at a time)
npm run bench -- --docs-from bench/results/<time>.json   # rewrite this file from a saved full run
npm run bench -- --only bus-pubsub-fanout,bus-streams,bus-local   # the event buses alone (ours only)
npm run bench -- --docs-from bench/results/<full>.json,bench/results/<buses>.json
                                   # merge: a later file's scenarios replace the same ones of an earlier file
npx jest libs/queue/test/bench-smoke.spec.ts   # the smoke run as a test (correctness only, never speed)
node -r ts-node/register/transpile-only bench/profile.ts --system ours --concurrency 100 --cpu
                                   # one system: CPU, Redis commands and V8 profile per message, per phase
node -r ts-node/register/transpile-only bench/overhead.ts
                                   # Node CPU per processed message: bare queue, with metrics, QueueManager, dispatcher
\`\`\`

Scenarios: ${report.scenarios.map((x) => `\`${x.id}\``).join(', ')}. Each starts its own \`redis-server\` via
\`spawnRedis()\` (no persistence: \`--save ''\`, \`--appendonly no\`), the same server and settings for both systems.
Each system runs each scenario on an emptied server (\`FLUSHALL\`) and a fresh key prefix, one after the
other, the order alternating from one scenario to the next. Producer, consumer and measurement run in
one Node process. Every scenario counts the handler starts per message id and fails unless every
message was processed exactly once and the backend reports nothing left waiting or in flight.

## Machine

| | |
|---|---|
| CPU | ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB |
| Node | ${m.node} (${m.platform}) |
| Redis | ${m.redis}, local TCP, no persistence |
| BullMQ | ${m.bullmq} |
| Code | ${codeLine(report)} |
| Load | 1-minute load average during the run: ${load} (the ${m.cores} cores are shared with other work; above ~2 the figures are disturbed) |

## Settings of each system

- **Ours** (\`createQueue\`, Redis backend, its defaults): prefetch 100, \`completedRetention\` 1000 results
  for 1 h, dead-letter queue on, lease 30 s, idle block 30 s, strict priorities. Bulk publish with
  \`publishBatch\`, consumer with \`process(type, handler, { concurrency })\`. Also measured with
  \`completedRetention: { count: 0 }\` where noted below.
- **BullMQ**: \`Queue.addBulk\` / \`Queue.add\` with job options \`removeOnComplete: true, removeOnFail: true\`
  (it keeps nothing after completion, the cheapest setting, while ours keeps its last 1000 results), a
  \`Worker\` with its defaults (drainDelay 5 s, stalledInterval 30 s, lockDuration 30 s) and the same
  concurrency. Priority tiers critical/high/normal/low map to BullMQ \`priority\` 1/2/3/4; unprioritised
  scenarios use no \`priority\` option in BullMQ and \`normal\` in ours.
- Payload \`{"i":<n>}\` (plus \`"t"\`, the send time, in the latency scenarios); no-op handlers.
- Sizes: bulk publish ${s.bulkMessages.toLocaleString('en-US')} messages in batches of ${s.batchSize}, one batch in flight (the bar), then on a
  fresh system ${BULK_IN_FLIGHT} in flight (a producer publishing from concurrent requests); publish-then-process
  ${s.processMessages.toLocaleString('en-US')} messages at concurrency 10 and 100, **${s.processMessagesC1.toLocaleString('en-US')} at concurrency 1**;
  steady runs: two producers (batches of 100, paused while more than ${(s.steadyBacklog ?? 10_000).toLocaleString('en-US')} are unhandled) and one
  consumer at concurrency ${s.steadyConcurrency} for ${s.steadySeconds} s after ${s.warmupSeconds} s of warm-up (the warm-up also waits for the first handled
  message, and the window for at least ${MIN_WINDOW_MESSAGES} handled ones); priorities mixed round-robin over the four
  tiers. Idle latency: ${s.idleLatencySamples} messages one at a time (concurrency 10), 2 ms apart after each handler
  start. Latency under load: batches every millisecond at half of the system's own steady throughput
  from this run, concurrency ${s.steadyConcurrency}, ${s.loadLatencySeconds} s after ${s.warmupSeconds} s of warm-up (and on until ${MIN_LOAD_SAMPLES} messages were sent after it). Priority preemption: a backlog of ${s.preemptionBacklog.toLocaleString('en-US')} low
  messages (kept near that size by top-ups of 100) processed at concurrency 1, 10 and 100 (from ${s.warmupSeconds} s after the backlog started moving, the warm-up) while one critical message
  is published every 10 ms for ${s.preemptionSeconds} s, the consumer, the low producer and the criticals' publisher in three Node
  processes (as deployed; one consumer and one producer process serve a system's nine runs in turn), with no-op handlers and again with handlers of ${PREEMPTION_HANDLER_MS.filter((h) => h > 0).join(' and ')} ms (a timer, only while
  measured); publish-to-start of the criticals, their own publish's round trip (call to reply, the machine's floor during the
  run), and (in the raw JSON) how many lows started between a critical's publish and its start. Memory: ${s.memoryMessages.toLocaleString('en-US')} queued messages, no consumer,
  \`used_memory\` delta / messages minus the mean payload JSON size. Idle worker: \`INFO commandstats\`
  delta over ${s.idleSeconds} s with one started consumer and nothing to do (commands run inside Lua scripts count), and
  the commands clients sent in that window (MONITOR lines not from Lua, i.e. round trips).

## Results

| scenario | unit | ours | BullMQ | ours / BullMQ |
|---|---|---:|---:|---|
${table.join('\n')}
${extras(report)}
## The bars

| bar | | figure |
|---|---|---|
${barLines.join('\n')}

${renderBusSection(report)}
## What limits it now

${START}
${limits}
${END}
`;
}

/** "Generated by ..." naming the run, or every run a merged report was made of. */
function generatedLine(report: BenchReport, resultsFile: string): string {
  const sources = report.sources ?? [];
  if (sources.length < 2) return `Generated by \`npm run bench\` (${report.mode} run, ${report.startedAt}); raw figures in \`${resultsFile}\``;
  const parts = sources.map((s, i) => `\`${s.file}\` (${s.mode} run, ${s.startedAt}: ${i === 0 ? 'the other scenarios' : s.scenarios.join(', ')})`);
  return `Generated by \`npm run bench\` from ${sources.length} runs merged with \`--docs-from\`; raw figures in ${parts.join(' and ')}`;
}

function codeLine(report: BenchReport): string {
  const sources = report.sources ?? [];
  const commits = new Set(sources.map((s) => s.commit));
  if (commits.size < 2) return `commit ${report.machine.commit}`;
  return sources.map((s, i) => `commit ${s.commit} for ${i === 0 ? 'the other scenarios' : s.scenarios.join(', ')}`).join('; ');
}

function extras(report: BenchReport): string {
  const lines: string[] = [];
  const cpuRows: string[] = [];
  for (const x of report.scenarios) {
    const cells = (['ours', 'ours-r0', 'bullmq'] as const).map((kind) => {
      const cpu = (x.runs[kind]?.detail as { cpu?: { nodeUsPerMsg: number; redisUsPerMsg: number } } | undefined)?.cpu;
      return cpu ? `${cpu.nodeUsPerMsg.toFixed(1)} + ${cpu.redisUsPerMsg.toFixed(1)}` : '';
    });
    if (cells[0] || cells[2]) cpuRows.push(`| ${x.title} | ${cells[0]} | ${cells[1]} | ${cells[2]} |`);
  }
  if (cpuRows.length) {
    lines.push(
      'CPU per message, Node µs + redis-server µs (steadier than throughput when the cores are shared):',
      '',
      '| scenario | ours | ours, retention 0 | BullMQ |',
      '|---|---:|---:|---:|',
      ...cpuRows,
      '',
    );
  }
  for (const id of ['process-c100', 'steady']) {
    const s = scenarioById(report, id);
    const r0 = s?.runs['ours-r0'];
    if (s && r0)
      lines.push(
        `- ${s.title}: ${SYSTEM_LABELS['ours-r0']}: ${r0.ok ? `${formatValue(r0.metrics.rate, 'msgs/s')} msgs/s` : `FAILED (${r0.error})`} (defaults: ${formatValue(s.runs.ours?.metrics.rate, 'msgs/s')}).`,
      );
  }
  const load = scenarioById(report, 'latency-load');
  for (const kind of ['ours', 'bullmq'] as const) {
    const d = load?.runs[kind]?.detail as
      | {
          targetRate?: number;
          achievedRate?: number;
          loopDelayMs?: Record<string, number>;
          cpuShare?: CpuShare;
          slowCommands?: SlowCommands;
        }
      | undefined;
    if (d?.targetRate) {
      const cpu = d.cpuShare ? `; CPU ${describeCpuShare(d.cpuShare)}` : '';
      const slow = d.slowCommands ? `; ${describeSlowCommands(d.slowCommands)}` : '';
      lines.push(
        `- Latency under load, ${SYSTEM_LABELS[kind]}: target ${formatValue(d.targetRate, 'msgs/s')} msgs/s, achieved ${formatValue(d.achievedRate, 'msgs/s')} msgs/s; event-loop delay (1 ms sampling timer) p99 ${d.loopDelayMs?.p99.toFixed(1)} ms, max ${d.loopDelayMs?.max.toFixed(1)} ms${cpu}${slow}.`,
      );
    }
  }
  const idleLat = scenarioById(report, 'latency-idle');
  for (const kind of ['ours', 'bullmq'] as const) {
    const d = idleLat?.runs[kind]?.detail as { pingRttMs?: Record<string, number>; loopDelayMs?: Record<string, number> } | undefined;
    if (d?.pingRttMs)
      lines.push(
        `- Idle latency run of ${SYSTEM_LABELS[kind]}: a bare PING round trip on this machine took p50 ${d.pingRttMs.p50.toFixed(3)} / p99 ${d.pingRttMs.p99.toFixed(3)} ms; event-loop delay (1 ms sampling timer, so >= ~1 ms) p99 ${d.loopDelayMs?.p99.toFixed(2)} ms, max ${d.loopDelayMs?.max.toFixed(2)} ms.`,
      );
  }
  const mem = scenarioById(report, 'memory');
  for (const kind of ['ours', 'bullmq'] as const) {
    const d = mem?.runs[kind]?.detail as { rawPerMessage?: number; meanPayloadBytes?: number } | undefined;
    if (d?.rawPerMessage)
      lines.push(`- Memory, ${SYSTEM_LABELS[kind]}: ${d.rawPerMessage.toFixed(1)} bytes per message in all, payload ${d.meanPayloadBytes?.toFixed(1)} bytes.`);
  }
  const idle = scenarioById(report, 'idle-commands');
  for (const kind of ['ours', 'bullmq'] as const) {
    const d = idle?.runs[kind]?.detail as { commands?: Record<string, number>; sentByClients?: Record<string, number>; windowSeconds?: number } | undefined;
    const list = (m: Record<string, number> = {}) =>
      Object.entries(m)
        .sort((a, b) => b[1] - a[1])
        .map(([c, n]) => `${c} ${n}`)
        .join(', ') || 'none';
    if (d?.commands)
      lines.push(`- Idle worker, ${SYSTEM_LABELS[kind]}, in ${d.windowSeconds} s: sent ${list(d.sentByClients)}; all commands ${list(d.commands)}.`);
  }
  return lines.length ? `\n${lines.join('\n')}\n` : '';
}
