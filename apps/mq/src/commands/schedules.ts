import type { Command } from 'commander';
import type { ScheduleEntry } from '@meeting/queue';
import { notFound } from '../cli-errors';
import { confirm, GlobalOptions, output, refuseEmpty, withAdmin } from '../context';
import { short, table, time } from '../table';

const whenText = (s: ScheduleEntry) => (!s.when ? 'once' : 'cron' in s.when ? `cron ${s.when.cron} ${s.when.tz}` : `every ${s.when.everyMs} ms`);

export function registerSchedules(program: Command, globals: () => GlobalOptions): void {
  for (const kind of ['once', 'recurring'] as const) {
    const name = kind === 'once' ? 'scheduled' : 'recurring';
    const group = program
      .command(name)
      .description(kind === 'once' ? 'one-off delayed tasks not yet due: list, cancel' : 'recurring tasks (cron, every): list, remove');
    group
      .command('list')
      .description(`${kind === 'once' ? 'one-off' : 'recurring'} tasks of every scheduler under the prefix, soonest first`)
      .option('-s, --scheduler <name>', 'only this scheduler (its service_name)')
      .action((opts: { scheduler?: string }) =>
        withAdmin(globals(), async (admin) => {
          const items = (await admin.schedules(opts.scheduler)).filter((s) => s.kind === kind);
          output(globals(), { kind, items }, () =>
            items.length === 0
              ? `no ${name} tasks`
              : table(
                  ['SCHEDULER', 'ID', 'TYPE', 'QUEUE', 'WHEN', 'NEXT RUN', 'PAYLOAD'],
                  items.map((s) => [s.scheduler, s.id, s.task.type, s.task.queue, whenText(s), time(s.nextRunAt), short(s.task.payload, 40)]),
                ),
          );
        }),
      );
    group
      .command(kind === 'once' ? 'cancel <id>' : 'remove <key>')
      .description(
        kind === 'once' ? 'cancel a one-off task by its id (once:<queue>:<messageId>)' : 'remove a recurring task by its key (or its id recurring:<key>)',
      )
      .option('-s, --scheduler <name>', 'only in this scheduler')
      .action((ref: string, opts: { scheduler?: string }) => {
        // '' would be looked up and "not found" (exit 1): a usage error, before connecting
        refuseEmpty(
          kind === 'once' ? '<id>' : '<key>',
          ref,
          kind === 'once' ? 'a schedule id (once:<queue>:<messageId>)' : 'a recurring key (or recurring:<key>)',
        );
        return withAdmin(globals(), async (admin) => {
          const id = kind === 'recurring' && !ref.startsWith('recurring:') ? `recurring:${ref}` : ref;
          const known = (await admin.schedules(opts.scheduler)).filter((s) => s.id === id && s.kind === kind);
          if (known.length === 0) throw notFound(`${kind === 'once' ? 'scheduled task' : 'recurring task'} "${ref}"`);
          await confirm(globals(), `${kind === 'once' ? 'cancel' : 'remove'} ${id} (${known.map((s) => s.scheduler).join(', ')})?`);
          const schedulers = await admin.cancelSchedule(id, opts.scheduler);
          if (schedulers.length === 0) throw notFound(`${kind === 'once' ? 'scheduled task' : 'recurring task'} "${ref}" (started or removed meanwhile)`);
          output(globals(), { id, schedulers }, () => `${kind === 'once' ? 'cancelled' : 'removed'} ${id} in ${schedulers.join(', ')}`);
        });
      });
  }
}
