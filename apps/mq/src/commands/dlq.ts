import type { Command } from 'commander';
import type { DeadLetter, DeadLetterFilter } from '@meeting/queue';
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

export function registerDlq(program: Command, globals: () => GlobalOptions): void {
  const dlq = program.command('dlq').description('dead letters of a queue: list, show, replay, replay-all, delete, purge');

  withFilters(dlq.command('list <queue>').description('dead letters, newest first'), '50').action((queue: string, opts: FilterOptions) =>
    withAdmin(globals(), async (admin) => {
      const filter = filterOf(opts);
      await assertQueue(admin, queue);
      const { items, total } = await admin.deadLetters(queue, filter);
      output(
        globals(),
        { queue, total, items },
        () =>
          `${queue}: ${items.length} shown of ${total} dead letters\n` +
          (items.length
            ? table(
                ['ID', 'TYPE', 'DEAD AT', 'ATTEMPTS', 'REASON', 'ERROR', 'PAYLOAD'],
                items.map((d) => [
                  d.id,
                  d.type,
                  time(d.deadAt),
                  d.attempts,
                  d.reason,
                  d.error ? `${d.error.name}: ${d.error.message}` : null,
                  short(d.payload, 40),
                ]),
              )
            : ''),
      );
    }),
  );

  dlq
    .command('show <queue> <id>')
    .description('one dead letter in full: error, stack, attempts, payload')
    .action((queue: string, id: string) =>
      withAdmin(globals(), async (admin) => {
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
        const replayed = await admin.replay(queue, ids);
        const missing = ids.filter((id) => !replayed.includes(id));
        output(
          globals(),
          { queue, replayed, missing },
          () => `replayed ${replayed.length}${idList(replayed)}${missing.length ? `\nnot found ${missing.length}${idList(missing)}` : ''}`,
        );
        if (replayed.length === 0) throw notFound(`dead letter${ids.length > 1 ? 's' : ''} ${ids.join(' ')} in queue "${queue}"`);
      }),
    );

  withFilters(dlq.command('replay-all <queue>').description('replay every dead letter (or those matching the filters)')).action(
    (queue: string, opts: FilterOptions) =>
      withAdmin(globals(), async (admin) => {
        const filter = filterOf(opts);
        await assertQueue(admin, queue);
        const { items } = await admin.deadLetters(queue, filter);
        if (items.length > 0) await confirm(globals(), `replay ${items.length} dead letter(s) of ${queue}?`);
        const replayed = await admin.replay(
          queue,
          items.map((d) => d.id),
        );
        output(globals(), { queue, replayed }, () => `replayed ${replayed.length}${idList(replayed)}`);
      }),
  );

  dlq
    .command('delete <queue> <ids...>')
    .description('delete dead letters by id')
    .action((queue: string, ids: string[]) =>
      withAdmin(globals(), async (admin) => {
        await assertQueue(admin, queue);
        await confirm(globals(), `delete ${ids.length} dead letter(s) of ${queue}?`);
        const deleted = await admin.deleteDeadLetters(queue, ids);
        const missing = ids.filter((id) => !deleted.includes(id));
        output(
          globals(),
          { queue, deleted, missing },
          () => `deleted ${deleted.length}${idList(deleted)}${missing.length ? `\nnot found ${missing.length}${idList(missing)}` : ''}`,
        );
        if (deleted.length === 0) throw notFound(`dead letter${ids.length > 1 ? 's' : ''} ${ids.join(' ')} in queue "${queue}"`);
      }),
    );

  withFilters(dlq.command('purge <queue>').description('delete every dead letter (or those matching the filters)')).action(
    (queue: string, opts: FilterOptions) =>
      withAdmin(globals(), async (admin) => {
        const filter = filterOf(opts);
        await assertQueue(admin, queue);
        const { items } = await admin.deadLetters(queue, filter);
        if (items.length > 0) await confirm(globals(), `delete ${items.length} dead letter(s) of ${queue}?`);
        const deleted = await admin.deleteDeadLetters(
          queue,
          items.map((d) => d.id),
        );
        output(globals(), { queue, deleted }, () => `deleted ${deleted.length}${idList(deleted)}`);
      }),
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
