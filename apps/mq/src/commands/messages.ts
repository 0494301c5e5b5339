import type { Command } from 'commander';
import { InFlightPage, PRIORITIES, Priority, QueueAdmin } from '@meeting/queue';
import { notFound, usage } from '../cli-errors';
import { assertQueue, GlobalOptions, output, parseIntOption, withAdmin } from '../context';
import { duration, short, table, time } from '../table';

const TARGETS = [...PRIORITIES, 'inflight', 'delayed', 'completed'];

/** A page of `QueueAdmin.peek`. */
type PeekPage = Awaited<ReturnType<QueueAdmin['peek']>>;

export function registerMessages(program: Command, globals: () => GlobalOptions): void {
  program
    .command('peek <queue>')
    .description('look at messages without taking them: a tier (head first), inflight, delayed or completed')
    .option('-t, --tier <tier>', `one of ${TARGETS.join(', ')}`, 'normal')
    .option('-l, --limit <n>', 'how many (1..1000)', '20')
    .option('--offset <n>', 'skip this many', '0')
    .action((queue: string, opts: { tier: string; limit: string; offset: string }) => {
      if (!TARGETS.includes(opts.tier)) throw usage(`--tier: expected one of ${TARGETS.join(', ')}, got ${opts.tier}`);
      const limit = parseIntOption('--limit', opts.limit, 1, 1000);
      const offset = parseIntOption('--offset', opts.offset, 0, Number.MAX_SAFE_INTEGER);
      return withAdmin(globals(), async (admin) => {
        await assertQueue(admin, queue);
        if (opts.tier === 'inflight') return printInFlight(globals(), queue, await admin.inflight(queue, { limit, offset }));
        const page = await admin.peek(queue, opts.tier as Priority, { limit, offset });
        output(globals(), { queue, ...page }, () => peekText(queue, page, Date.now()));
      });
    });

  program
    .command('workers <queue>')
    .description('the processes consuming a queue (from their heartbeats): id, host, pid, concurrency, held, last heartbeat')
    .action((queue: string) =>
      withAdmin(globals(), async (admin) => {
        await assertQueue(admin, queue);
        const workers = await admin.workers(queue);
        output(globals(), { queue, workers }, () =>
          workers.length === 0
            ? `no worker consumes ${queue} (none has sent a heartbeat within 2.5 of its beat intervals)`
            : table(
                ['WORKER', 'HOST', 'PID', 'CONCURRENCY', 'HELD', 'SINCE', 'LAST SEEN'],
                workers.map((w) => [w.id, w.host, w.pid, w.concurrency, w.held, time(w.startedAt), `${duration(w.lastSeenAgoMs)} ago`]),
              ),
        );
      }),
    );

  program
    .command('status <queue> <id>')
    .description('where one message is: pending, delayed, processing, retrying, completed or dead')
    .action((queue: string, id: string) =>
      withAdmin(globals(), async (admin) => {
        await assertQueue(admin, queue);
        const status = await admin.status(queue, id);
        if (!status) throw notFound(`message "${id}" in queue "${queue}"`);
        output(globals(), status, () =>
          Object.entries(status)
            .map(([k, v]) => `${k.padEnd(11)} ${typeof v === 'object' ? JSON.stringify(v) : k.endsWith('At') ? `${time(v as number)} (${v})` : v}`)
            .join('\n'),
        );
      }),
    );

  program
    .command('publish <queue> <type>')
    .description("publish one message (for operators' tests)")
    .option('-p, --payload <json>', 'payload as JSON', 'null')
    .option('--priority <priority>', PRIORITIES.join(', '), 'normal')
    .action((queue: string, type: string, opts: { payload: string; priority: string }) => {
      const payload = parsePayload(opts.payload);
      if (!(PRIORITIES as readonly string[]).includes(opts.priority)) throw usage(`--priority: expected one of ${PRIORITIES.join(', ')}, got ${opts.priority}`);
      return withAdmin(globals(), async (admin) => {
        // a bad <queue> or <type> is refused by the library, named as the argument by main (cli-names.ts)
        const id = await admin.publish(queue, type, payload, opts.priority as Priority);
        output(globals(), { queue, id }, () => `published ${id} to ${queue}`);
      });
    });

  for (const [name, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    program
      .command(`${name} <queue>`)
      .description(paused ? 'stop every worker of the queue from taking new messages (publishing still works)' : 'let workers take messages again')
      .action((queue: string) =>
        withAdmin(globals(), async (admin) => {
          await assertQueue(admin, queue);
          if (paused) await admin.pause(queue);
          else await admin.resume(queue);
          output(globals(), { queue, paused }, () => `${queue} ${paused ? 'paused' : 'resumed'}`);
        }),
      );
  }
}

/**
 * The human rendering of `mq peek` (all but inflight). A completed message keeps only its record (id,
 * type, attempts, created and finished times, result; docs/queue.md): its rows show those, no
 * payload or priority column.
 */
export function peekText(queue: string, page: PeekPage, now: number): string {
  const head = `${queue} ${page.target}: ${page.items.length} of ${page.total}`;
  if (page.items.length === 0) return head;
  if (page.target === 'completed') {
    const rows = page.items.map((m) => [m.id, m.type, m.attempts, time(m.createdAt), time(m.at), short(m.result)]);
    return `${head}\n${table(['ID', 'TYPE', 'ATTEMPTS', 'CREATED', 'FINISHED', 'RESULT'], rows)}`;
  }
  const delayed = page.target === 'delayed';
  const rows = page.items.map((m) => [m.id, m.type, m.priority, m.attempts, delayed ? duration((m.at ?? now) - now) : time(m.createdAt), short(m.payload)]);
  return `${head}\n${table(['ID', 'TYPE', 'PRIO', 'ATTEMPTS', delayed ? 'DUE IN' : 'CREATED', 'PAYLOAD'], rows)}`;
}

function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw usage(`--payload: not valid JSON (${(error as Error).message})`);
  }
}

function printInFlight(g: GlobalOptions, queue: string, page: InFlightPage): void {
  output(g, { queue, ...page }, () => {
    const head = `${queue} inflight: ${page.items.length} of ${page.total}`;
    if (page.items.length === 0) return head;
    return `${head}\n${table(
      ['ID', 'TYPE', 'PRIO', 'ATTEMPT', 'HELD FOR', 'LEASE ENDS IN', 'WORKER', 'PROGRESS', 'PAYLOAD'],
      page.items.map((m) => [
        m.id,
        m.type,
        m.priority,
        m.attempts,
        m.heldMs === null ? null : duration(m.heldMs),
        m.leaseEndsInMs === null ? null : duration(m.leaseEndsInMs),
        m.holder ? `${m.holder.host}:${m.holder.pid} (${m.holder.id})` : m.worker,
        m.progress === undefined ? null : short(m.progress, 30),
        short(m.payload),
      ]),
    )}`;
  });
}
