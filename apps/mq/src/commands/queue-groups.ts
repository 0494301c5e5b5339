import type { Command } from 'commander';
import { PRIORITIES, QueueGroups } from '@meeting/queue';
import { assertQueue, GlobalOptions, output, parseIntOption, withAdmin } from '../context';
import { duration, table } from '../table';

/** The human rendering of `mq queue-groups`. */
export function queueGroupsText(r: QueueGroups): string {
  const c = r.counts;
  const limit = r.groupConcurrency === null ? 'no groupConcurrency' : `groupConcurrency ${r.groupConcurrency}`;
  const head = `groups of "${r.queue}": ${c.ready} ready, ${c.blocked} blocked, ${c.running} with messages in flight (${limit})`;
  if (r.items.length === 0) return `${head}\nno group has messages waiting or in flight`;
  const rows = r.items.map((g) => [
    g.group,
    ...PRIORITIES.map((p) => g.tiers[p]),
    g.waiting,
    g.running,
    g.blocked ? 'blocked' : 'no',
    g.oldestWaitingMs === null ? null : duration(g.oldestWaitingMs),
  ]);
  const lines = [head, table(['GROUP', ...PRIORITIES.map((p) => p.toUpperCase()), 'WAITING', 'IN FLIGHT', 'BLOCKED', 'OLDEST'], rows)];
  if (r.more) lines.push(`more groups than listed (the first ${r.items.length}; --limit to see more)`);
  return lines.join('\n');
}

export function registerQueueGroups(program: Command, globals: () => GlobalOptions): void {
  program
    .command('queue-groups <queue>')
    .description('message groups of a queue (publish option group): ready per tier, in flight, blocked at groupConcurrency, oldest waiting')
    .option('-n, --limit <n>', 'list at most n groups (and read the first n of each tier rotation)', '100')
    .action((queue: string, opts: { limit: string }) => {
      const limit = parseIntOption('--limit', opts.limit, 1, 100_000)!;
      return withAdmin(globals(), async (admin) => {
        await assertQueue(admin, queue);
        const groups = await admin.queueGroups(queue, limit);
        output(globals(), groups, () => queueGroupsText(groups));
      });
    });
}
