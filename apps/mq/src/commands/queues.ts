import type { Command } from 'commander';
import type { QueueAdmin, QueueInfo } from '@meeting/queue';
import { usage } from '../cli-errors';
import { assertQueue, GlobalOptions, output, parseIntOption, withAdmin } from '../context';
import { duration, table } from '../table';
import { limitsCell } from './limits';

const infoRow = (q: QueueInfo) => [
  q.name,
  q.paused ? 'yes' : 'no',
  q.tiers.critical,
  q.tiers.high,
  q.tiers.normal,
  q.tiers.low,
  q.inflight,
  q.delayed,
  q.deadLetters,
  q.processed,
  q.failed,
  q.latency.oldestMs === null ? null : duration(q.latency.oldestMs),
  q.latency.starts === 0 ? null : q.latency.waitP95Ms === null ? '>300s' : `<=${duration(q.latency.waitP95Ms)}`,
  q.workers,
  limitsCell(q.rateLimits),
  q.parked,
  q.groups.ready + q.groups.blocked === 0 ? null : `${q.groups.ready}/${q.groups.blocked}`,
];
const INFO_HEADERS = [
  'QUEUE',
  'PAUSED',
  'CRIT',
  'HIGH',
  'NORMAL',
  'LOW',
  'INFLIGHT',
  'DELAYED',
  'DEAD',
  'PROCESSED',
  'FAILED',
  'OLDEST',
  'WAIT P95',
  'WORKERS',
  'LIMITS',
  'PARKED',
  'GROUPS',
];

/** Per-second rates between two samples of the counters. */
export interface QueueRates {
  published: number;
  processed: number;
  failed: number;
}

export function registerQueues(program: Command, globals: () => GlobalOptions): void {
  program
    .command('queues')
    .description('every queue under the key prefix: depth per tier, in flight, delayed, dead letters, counters, paused')
    .action(() =>
      withAdmin(globals(), async (admin) => {
        const queues = await admin.overview();
        output(globals(), { prefix: admin.prefix, queues }, () =>
          queues.length === 0 ? `no queues under prefix "${admin.prefix}"` : table(INFO_HEADERS, queues.map(infoRow)),
        );
      }),
    );

  program
    .command('stats [queue]')
    .description('counters and rates per second of one queue or all; --watch refreshes')
    .option('-w, --watch', 'refresh until interrupted (with --json: one JSON line per refresh)')
    .option('-i, --interval <seconds>', 'seconds between samples', '2')
    .option('-n, --count <n>', 'with --watch: stop after n refreshes')
    .action((queue: string | undefined, opts: { watch?: boolean; interval: string; count?: string }) => {
      const g = globals();
      const interval = parseIntOption('--interval', opts.interval, 1, 3600)!;
      const count = parseIntOption('--count', opts.count, 1, 1_000_000);
      // one sample without --watch: a --count would be ignored, so it is refused (the operator meant --watch)
      if (count !== undefined && !opts.watch) throw usage(`--count: only with --watch (stats takes one sample without it), got ${opts.count}`);
      return withAdmin(g, async (admin) => {
        // `stats ""` is a usage error (no queue can have that name), never every queue
        if (queue !== undefined) await assertQueue(admin, queue);
        const sample = async () => ({ at: Date.now(), queues: queue !== undefined ? [await admin.info(queue)] : await admin.overview() });
        let previous = await sample();
        if (!opts.watch) {
          output(g, { at: previous.at, queues: previous.queues.map((q) => ({ ...q, rates: null })) }, () => table(INFO_HEADERS, previous.queues.map(infoRow)));
          return;
        }
        for (let n = 0; count === undefined || n < count; n++) {
          await new Promise((r) => setTimeout(r, interval * 1000));
          const current = await sample();
          const rows = current.queues.map((q) => ({
            ...q,
            rates: rates(
              previous.queues.find((p) => p.name === q.name),
              q,
              current.at - previous.at,
            ),
          }));
          if (g.json) process.stdout.write(`${JSON.stringify({ at: current.at, queues: rows })}\n`);
          else {
            if (process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
            process.stdout.write(`${new Date(current.at).toISOString()}  every ${interval}s  (Ctrl-C to stop)\n`);
            process.stdout.write(
              `${table(
                [...INFO_HEADERS, 'PUB/S', 'DONE/S', 'FAIL/S'],
                rows.map((r) => [...infoRow(r), r.rates.published, r.rates.processed, r.rates.failed]),
              )}\n`,
            );
          }
          previous = current;
        }
      });
    });
}

function rates(before: QueueInfo | undefined, after: QueueInfo, elapsedMs: number): QueueRates {
  const per = (key: 'published' | 'processed' | 'failed') => Math.round(((after[key] - (before?.[key] ?? after[key])) / elapsedMs) * 1000 * 10) / 10;
  return { published: per('published'), processed: per('processed'), failed: per('failed') };
}

export type { QueueAdmin };
