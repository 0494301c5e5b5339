import type { Command } from 'commander';
import { usage } from '../cli-errors';
import { GlobalOptions, output, parseIntOption, withAdmin } from '../context';
import { short, table } from '../table';

export function registerEvents(program: Command, globals: () => GlobalOptions): void {
  const events = program.command('events').description('event bus channels');
  events
    .command('tail <channel>')
    .description('print events of a channel as they come (pub/sub: channel or glob pattern; stream: new entries, no consumer group joined)')
    .option('-m, --mode <mode>', 'pubsub or stream', 'pubsub')
    .option('-n, --count <n>', 'stop after n events')
    .action((channel: string, opts: { mode: string; count?: string }) => {
      const mode = opts.mode;
      if (mode !== 'pubsub' && mode !== 'stream') throw usage(`--mode: expected pubsub or stream, got ${mode}`);
      const count = parseIntOption('--count', opts.count, 1, 1_000_000);
      return withAdmin(globals(), async (admin) => {
        const json = globals().json;
        let seen = 0;
        let finish!: () => void;
        const finished = new Promise<void>((r) => (finish = r));
        const stop = await admin.tail(channel, mode, (e) => {
          if (count !== undefined && seen >= count) return;
          seen++;
          if (json) process.stdout.write(`${JSON.stringify(e)}\n`);
          else
            process.stdout.write(
              `${e.event?.time ?? new Date().toISOString()}  ${e.channel}  ${e.event?.type ?? '(not an event)'}  ${short(e.event?.data ?? e.raw, 200)}\n`,
            );
          if (count !== undefined && seen >= count) finish();
        });
        // tell a reader (and the tests) the subscription is live
        process.stderr.write(`tailing ${mode} ${channel} (Ctrl-C to stop)\n`);
        process.once('SIGINT', finish);
        process.once('SIGTERM', finish);
        await finished;
        await stop();
      });
    });

  events
    .command('channels')
    .description('pub/sub channels under the event prefix with their subscribers; --sample counts their messages for a while')
    .option('-s, --sample <seconds>', 'listen this long and report messages per channel and per second')
    .action((opts: { sample?: string }) => {
      const seconds = parseIntOption('--sample', opts.sample, 1, 3600);
      return withAdmin(globals(), async (admin) => {
        if (seconds !== undefined) {
          await admin.pubsub({ sample: true });
          await new Promise((r) => setTimeout(r, seconds * 1000));
        }
        const overview = await admin.pubsub({ sample: seconds !== undefined });
        output(globals(), { eventPrefix: admin.eventPrefix, ...overview }, () =>
          overview.channels.length === 0
            ? `no pub/sub channel under "${admin.eventPrefix}"`
            : table(
                ['CHANNEL', 'SUBSCRIBERS', 'MESSAGES', 'PER SECOND'],
                overview.channels.map((c) => [c.channel, c.subscribers, c.published, c.ratePerSec]),
              ),
        );
      });
    });

  program
    .command('groups [channel]')
    .description('stream consumer groups: consumers, pending (delivered, not acknowledged), lag (not delivered yet)')
    .action((channel: string | undefined) =>
      withAdmin(globals(), async (admin) => {
        const groups = await admin.groups(channel);
        output(globals(), { groups }, () =>
          groups.length === 0
            ? 'no stream consumer groups'
            : table(
                ['CHANNEL', 'GROUP', 'LENGTH', 'PENDING', 'LAG', 'CONSUMERS', 'LAST DELIVERED'],
                groups.map((g) => [
                  g.channel,
                  g.group,
                  g.length,
                  g.pending,
                  g.lag,
                  g.consumers.map((c) => `${c.name}(${c.pending} pending, idle ${Math.round(c.idleMs / 1000)}s)`).join(' '),
                  g.lastDeliveredId,
                ]),
              ),
        );
      }),
    );
}
