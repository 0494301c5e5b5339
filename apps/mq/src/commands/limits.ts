import type { Command } from 'commander';
import { PRIORITIES, QueueRateLimits, RateLimitInfo } from '@meeting/queue';
import { assertQueue, GlobalOptions, output, parseIntOption, withAdmin } from '../context';
import { duration, table } from '../table';

const LIMIT_HEADERS = ['LIMIT', 'MAX', 'PER', 'TOKENS', 'NEXT TOKEN', 'FULL IN', 'PARKED', 'FROM'];

/** Where a limit was found: the configuration read here, live workers' heartbeats. */
function source(l: RateLimitInfo): string {
  const from = [...(l.configured ? ['config'] : []), ...(l.workers > 0 ? [`${l.workers} worker${l.workers === 1 ? '' : 's'}`] : [])];
  const text = from.length > 0 ? from.join(', ') : 'bucket only';
  return l.mismatch ? `${text} (disagree)` : text;
}

const limitRow = (l: RateLimitInfo) => [
  l.name === '*' ? '* (queue)' : l.name,
  l.max,
  l.perMs === null ? null : duration(l.perMs),
  l.tokens,
  l.nextTokenInMs === null ? null : l.nextTokenInMs === 0 ? 'now' : duration(l.nextTokenInMs),
  l.fullInMs === null ? null : l.fullInMs === 0 ? 'full' : duration(l.fullInMs),
  l.parked,
  source(l),
];

/** The human rendering of `mq limits`. */
export function limitsText(r: QueueRateLimits): string {
  const lines: string[] = [];
  lines.push(
    r.limits.length === 0
      ? `no rate limits on queue "${r.queue}" (none configured here, kept by a live worker or left in Redis)`
      : table(LIMIT_HEADERS, r.limits.map(limitRow)),
  );
  const tiers = PRIORITIES.map((p) => `${p} ${r.parked.tiers[p]}`).join(', ');
  lines.push(`parked: ${r.parked.total} (${tiers})`);
  const types = Object.entries(r.parked.byType).sort((a, b) => b[1] - a[1]);
  if (types.length > 0) {
    const over = r.parked.counted < r.parked.total ? ` (counted over the first ${r.parked.counted})` : '';
    lines.push(`parked per type${over}: ${types.map(([t, n]) => `${t} ${n}`).join(', ')}`);
  }
  return lines.join('\n');
}

/** The LIMITS cell of `mq queues` / `mq stats`: each limit with its tokens (`slow 0/2`). */
export function limitsCell(limits: RateLimitInfo[]): string | null {
  if (limits.length === 0) return null;
  return limits.map((l) => `${l.name} ${l.tokens ?? '?'}/${l.max ?? '?'}`).join(' ');
}

export function registerLimits(program: Command, globals: () => GlobalOptions): void {
  program
    .command('limits <queue>')
    .description('rate limits of a queue (configured, kept by live workers): tokens now, next token, messages parked per tier and type')
    .option('--scan <n>', 'count parked messages per type over at most n of them', '10000')
    .action((queue: string, opts: { scan: string }) => {
      const scan = parseIntOption('--scan', opts.scan, 0, 1_000_000)!;
      return withAdmin(globals(), async (admin) => {
        await assertQueue(admin, queue);
        const limits = await admin.rateLimits(queue, scan);
        output(globals(), limits, () => limitsText(limits));
      });
    });
}
