import type { Command } from 'commander';
import type { DeadLetter, DeadLetterFilter, QueueAdmin } from '@meeting/queue';
import { notFound } from '../cli-errors';
import { assertQueue, confirm, GlobalOptions, output, parseIntOption, parseSince, withAdmin } from '../context';
import { short, table, time } from '../table';

interface FilterOptions {
  type?: string;
  since?: string;
  limit?: string;
}

const withFilters = (command: Command, defaultLimit?: string) =>
  command
    .option('--type <type>', 'only dead letters of this task type')
    .option('--since <when>', 'only those dead since: ISO date, epoch ms, or 30s / 15m / 2h / 7d ago')
    .option('-l, --limit <n>', 'at most n (newest first)', defaultLimit);

function filterOf(opts: FilterOptions): DeadLetterFilter {
  return { type: opts.type, since: parseSince(opts.since), limit: parseIntOption('--limit', opts.limit, 1, 1_000_000) };
}

const idList = (ids: string[]) => (ids.length > 0 ? `: ${ids.join(' ')}` : '');

/** Reports what an action on dead letters by id did (`replayed` / `deleted`, and those not found); fails when it found none. */
function reportByIds(globals: GlobalOptions, queue: string, ids: string[], verb: 'replayed' | 'deleted', done: string[]): void {
  const missing = ids.filter((id) => !done.includes(id));
  output(
    globals,
    { queue, [verb]: done, missing },
    () => `${verb} ${done.length}${idList(done)}${missing.length ? `\nnot found ${missing.length}${idList(missing)}` : ''}`,
  );
  if (done.length === 0) throw notFound(`dead letter${ids.length > 1 ? 's' : ''} ${ids.map((id) => `"${id}"`).join(', ')} in queue "${queue}"`);
}

/** Replays or deletes every dead letter matching the filters, after a confirmation when there are any. */
async function actOnMatching(
  globals: GlobalOptions,
  admin: QueueAdmin,
  queue: string,
  filter: DeadLetterFilter,
  verb: 'replayed' | 'deleted',
  act: (ids: string[]) => Promise<string[]>,
): Promise<void> {
  await assertQueue(admin, queue);
  const { items } = await admin.deadLetters(queue, filter);
  if (items.length > 0) await confirm(globals, `${verb === 'replayed' ? 'replay' : 'delete'} ${items.length} dead letter(s) of ${queue}?`);
  const done = await act(items.map((d) => d.id));
  output(globals, { queue, [verb]: done }, () => `${verb} ${done.length}${idList(done)}`);
}

/** What `dlq list` prints its heading from: the selection of QueueAdmin.deadLetters. */
type DeadLetterSelection = Awaited<ReturnType<QueueAdmin['deadLetters']>>;

/** The filter in words (` of type send dead since <time>`), empty without one. */
function filterWords(filter: DeadLetterFilter): string {
  const type = filter.type !== undefined ? ` of type ${filter.type}` : '';
  const since = filter.since !== undefined ? ` dead since ${time(filter.since)}` : '';
  return `${type}${since}`;
}

/**
 * The first line of `mq dlq list`: how many are shown of how many match the filter, the queue's
 * total beside it; with a count stopped at `--scan`, "at least" and how many were read.
 */
export function deadLetterHeading(queue: string, filter: DeadLetterFilter, selection: DeadLetterSelection): string {
  const words = filterWords(filter);
  const shown = `${queue}: ${selection.items.length} shown of`;
  if (words === '') return `${shown} ${deadLetterCount(selection.total)}`;
  if (selection.matchedExact) return `${shown} ${deadLetterCount(selection.matched)}${words} (${selection.total} in the queue)`;
  return (
    `${shown} at least ${deadLetterCount(selection.matched)}${words} ` +
    `(counted over the newest ${selection.scanned} of ${selection.total} in the queue; --scan to count over more)`
  );
}

const deadLetterCount = (n: number): string => `${n} dead letter${n === 1 ? '' : 's'}`;

/** The human rendering of `mq dlq list`: the heading, then a row per dead letter shown. */
function deadLetterList(queue: string, filter: DeadLetterFilter, selection: DeadLetterSelection): string {
  const { items } = selection;
  const rows = items.map((d) => [
    d.id,
    d.type,
    time(d.deadAt),
    d.attempts,
    d.reason,
    d.error ? `${d.error.name}: ${d.error.message}` : null,
    short(d.payload, 40),
  ]);
  const heading = deadLetterHeading(queue, filter, selection);
  return items.length ? `${heading}\n${table(['ID', 'TYPE', 'DEAD AT', 'ATTEMPTS', 'REASON', 'ERROR', 'PAYLOAD'], rows)}` : heading;
}

export function registerDlq(program: Command, globals: () => GlobalOptions): void {
  const dlq = program.command('dlq').description('dead letters of a queue: list, show, replay, replay-all, delete, purge');

  withFilters(dlq.command('list <queue>').description('dead letters, newest first, and how many match the filters'), '50')
    .option('--scan <n>', 'with --type or --since, count the matches over at most n dead letters (newest first)', '10000')
    .action((queue: string, opts: FilterOptions & { scan: string }) => {
      const filter = filterOf(opts);
      const scan = parseIntOption('--scan', opts.scan, 0, 1_000_000);
      return withAdmin(globals(), async (admin) => {
        await assertQueue(admin, queue);
        const selection = await admin.deadLetters(queue, filter, scan);
        output(globals(), { queue, ...selection }, () => deadLetterList(queue, filter, selection));
      });
    });

  dlq
    .command('show <queue> <id>')
    .description('one dead letter in full: error, stack, attempts, payload')
    .action((queue: string, id: string) =>
      withAdmin(globals(), async (admin) => {
        await assertQueue(admin, queue);
        const d = await admin.deadLetter(queue, id);
        if (!d) throw notFound(`dead letter "${id}" in queue "${queue}"`);
        output(globals(), d, () => showDeadLetter(d));
      }),
    );

  dlq
    .command('replay <queue> <ids...>')
    .description('put dead letters back in their tier with attempts reset')
    .action((queue: string, ids: string[]) =>
      withAdmin(globals(), async (admin) => {
        await assertQueue(admin, queue);
        reportByIds(globals(), queue, ids, 'replayed', await admin.replay(queue, ids));
      }),
    );

  withFilters(dlq.command('replay-all <queue>').description('replay every dead letter (or those matching the filters)')).action(
    (queue: string, opts: FilterOptions) => {
      const filter = filterOf(opts);
      return withAdmin(globals(), (admin) => actOnMatching(globals(), admin, queue, filter, 'replayed', (ids) => admin.replay(queue, ids)));
    },
  );

  dlq
    .command('delete <queue> <ids...>')
    .description('delete dead letters by id')
    .action((queue: string, ids: string[]) =>
      withAdmin(globals(), async (admin) => {
        await assertQueue(admin, queue);
        await confirm(globals(), `delete ${ids.length} dead letter(s) of ${queue}?`);
        reportByIds(globals(), queue, ids, 'deleted', await admin.deleteDeadLetters(queue, ids));
      }),
    );

  withFilters(dlq.command('purge <queue>').description('delete every dead letter (or those matching the filters)')).action(
    (queue: string, opts: FilterOptions) => {
      const filter = filterOf(opts);
      return withAdmin(globals(), (admin) => actOnMatching(globals(), admin, queue, filter, 'deleted', (ids) => admin.deleteDeadLetters(queue, ids)));
    },
  );
}

function showDeadLetter(d: DeadLetter): string {
  const lines = [
    `id        ${d.id}`,
    `type      ${d.type ?? '(not a valid message)'}`,
    `priority  ${d.priority ?? '-'}`,
    `attempts  ${d.attempts}`,
    `reason    ${d.reason}`,
    `dead at   ${time(d.deadAt)}`,
    `created   ${time(d.createdAt)}`,
    `error     ${d.error ? `${d.error.name}: ${d.error.message}` : '-'}`,
  ];
  if (d.error?.stack) lines.push('stack', ...d.error.stack.split('\n').map((l) => `  ${l}`));
  lines.push('payload', `  ${JSON.stringify(d.payload, null, 2).replace(/\n/g, '\n  ')}`);
  if (d.raw !== undefined) lines.push(`raw       ${d.raw}`);
  return lines.join('\n');
}
