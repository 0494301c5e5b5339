/**
 * One process of the soak's mixed load (`npm run soak`, beside the real apps): the library used the
 * way the services use it (a QueueManager from a configuration: the process's own queue, the
 * `redis_pubsub` event bus, the scheduler and the dispatcher) plus a `redis_stream` event bus, all
 * under the key prefix MIXED_PREFIX. It handles the tasks the driver publishes (some fail on
 * purpose), publishes and receives events on both buses, and (meeting) dispatches tasks to ai and
 * media and runs a recurring task. Everything it does is reported to the driver over IPC in batches.
 */
import { createEventBus, createRedisClient, NonRetryableError, QueueLogger, QueueManager } from '@meeting/queue';
import type { ManagedTaskHandler } from '@meeting/queue';
import { DriverCommand, MIXED_PREFIX, MIXED_SERVICES, MixedMessage, MixedReport, MixedSettings, replayedKey } from './mixed-protocol';

const settings = JSON.parse(process.env.SOAK_SERVICE ?? '{}') as MixedSettings;
const me = settings.service;
const send = (message: MixedMessage) => process.send?.(message);

let report: MixedReport = emptyReport();
function emptyReport(): MixedReport {
  return { kind: 'report', service: me, done: [], published: [], received: [], dispatched: [], waited: 0, outcomes: [], problems: [] };
}
function flush(): void {
  const r = report;
  report = emptyReport();
  if (r.done.length + r.published.length + r.received.length + r.dispatched.length + r.waited + r.outcomes.length + r.problems.length > 0) send(r);
}

const logger: QueueLogger = {
  debug: () => undefined,
  log: () => undefined,
  warn: (m) => void report.problems.push(`warn ${m}`),
  error: (m) => void report.problems.push(`error ${m}`),
  child: () => logger,
};

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

async function main(): Promise<void> {
  const r = settings.retention;
  const manager = await QueueManager.create(
    {
      service_name: me,
      redis: { url: settings.redisUrl, key_prefix: MIXED_PREFIX },
      message_queue: {
        queue_name: me,
        workers: 4,
        visibility_timeout: 10,
        idle_block_ms: 2000,
        max_retries: 3,
        retry_backoff: { base_ms: 50, factor: 2, max_ms: 400, jitter: 0.2 },
        queues: me === 'meeting' ? { ai: {}, media: {} } : {},
      },
      event_bus: { type: 'redis_pubsub', workers: 8 },
      task_dispatcher: {
        routes: me === 'meeting' ? { speech_recognition: { queue: 'ai' }, transcode: { queue: 'media' } } : {},
        status_retention_seconds: r.statusRetentionSeconds,
      },
      retention: {
        completed_count: r.completedCount,
        completed_age_seconds: r.completedAgeSeconds,
        dead_letter_max_size: 100_000,
        idempotency_ttl_seconds: r.idempotencyTtlSeconds,
      },
      metrics: { enabled: false },
    },
    { logger },
  );
  const client = createRedisClient({ url: settings.redisUrl, logger });
  const streams = createEventBus({
    type: 'redis_stream',
    client,
    serviceName: me,
    prefix: `${MIXED_PREFIX}:ev`,
    logger,
    claimIdleMs: 10_000,
    blockMs: 1000,
    retention: { maxLen: r.streamMaxLen, maxAgeMs: r.streamMaxAgeSeconds * 1000 },
  });

  const done = (queue: string, id: string, type: string, attempt: number) => void report.done.push({ queue, id, type, attempt });
  const handler =
    (
      type: string,
      run?: (payload: Record<string, unknown>, attempt: number, id: string, signal: AbortSignal) => Promise<unknown> | unknown,
    ): ManagedTaskHandler =>
    async (payload, ctx) => {
      const value = run ? await run((payload ?? {}) as Record<string, unknown>, ctx.attempt, ctx.message.id, ctx.signal) : { ok: true };
      done(me, ctx.message.id, type, ctx.attempt);
      return value;
    };
  manager.registerTaskHandler('ok', handler('ok'));
  manager.registerTaskHandler(
    'slow',
    handler('slow', (p, _a, _id, signal) => sleep(Number(p.ms ?? 20), signal)),
  );
  manager.registerTaskHandler(
    'flaky',
    handler('flaky', (p, attempt) => {
      if (attempt <= Number(p.fails ?? 1)) throw new Error(`planned failure on attempt ${attempt}`);
      return { attempt };
    }),
  );
  manager.registerTaskHandler(
    'poison',
    handler('poison', () => {
      throw new NonRetryableError('planned poison message');
    }),
  );
  manager.registerTaskHandler(
    'replay',
    handler('replay', async (_p, _a, id) => {
      // the marker is taken (deleted) by the run it lets through: a second run would be dead-lettered again, and counted
      if ((await client.del(replayedKey(id))) === 0) throw new NonRetryableError('planned: dead until the driver replays it');
      return { replayed: true };
    }),
  );
  if (me === 'meeting') manager.registerTaskHandler('tick', handler('tick'));
  if (me === 'ai')
    manager.registerTaskHandler(
      'speech_recognition',
      handler('speech_recognition', (p) => ({ words: Number(p.n ?? 0) % 97 })),
    );
  if (me === 'media')
    manager.registerTaskHandler(
      'transcode',
      handler('transcode', (p) => ({ out: `rec-${String(p.n)}.mp4` })),
    );

  // manager subscriptions become active at start (awaiting them before start would wait for ever)
  const subscribed: Array<Promise<unknown>> = [];
  for (const other of MIXED_SERVICES) {
    subscribed.push(manager.subscribe(`${other}_events`, (e) => void report.received.push({ bus: 'pubsub', id: e.id })));
    subscribed.push(streams.subscribe(`${other}_stream`, (e) => void report.received.push({ bus: 'stream', id: e.id })));
  }
  if (me === 'meeting') {
    manager.dispatcher.onCompleted('*', (t) => void report.outcomes.push({ taskId: t.taskId, ok: true }));
    manager.dispatcher.onFailed('*', (t) => void report.outcomes.push({ taskId: t.taskId, ok: false }));
  }
  await manager.start();
  await Promise.all(subscribed);
  const timers: NodeJS.Timeout[] = [setInterval(flush, 250)];
  const startLoad = async () => {
    if (me === 'meeting') await manager.scheduleTask({ type: 'tick', queue: 'meeting', payload: {} }, { everyMs: settings.tickEveryMs, key: 'soak-tick' });

    let seq = 0;
    const eventsPerTick = settings.eventsPerSecond / 10;
    let owed = 0;
    timers.push(
      setInterval(() => {
        owed += eventsPerTick;
        const n = Math.floor(owed);
        owed -= n;
        for (let i = 0; i < n; i++) {
          const data = { from: me, seq: ++seq };
          manager.publishEvent(`${me}_events`, 'soak.tick', data).then(
            (id) => void report.published.push({ bus: 'pubsub', id }),
            (e: Error) => void report.problems.push(`error publish pubsub: ${e.message}`),
          );
          streams.publish(`${me}_stream`, 'soak.tick', data).then(
            (id) => void report.published.push({ bus: 'stream', id }),
            (e: Error) => void report.problems.push(`error publish stream: ${e.message}`),
          );
        }
      }, 100),
    );
    if (me === 'meeting' && settings.dispatchesPerSecond > 0) {
      let n = 0;
      timers.push(
        setInterval(
          () => {
            n++;
            const type = n % 2 === 0 ? 'speech_recognition' : 'transcode';
            const dispatched =
              n % 5 === 0
                ? manager.dispatcher.dispatchAndWait(type, { n }, { timeoutMs: 60_000 }).then(() => void report.waited++)
                : manager.dispatcher.dispatch(type, { n }).then((taskId) => void report.dispatched.push(taskId));
            dispatched.catch((e: Error) => void report.problems.push(`error dispatch: ${e.message}`));
          },
          Math.max(10, Math.round(1000 / settings.dispatchesPerSecond)),
        ),
      );
    }
  };

  process.on('message', (command: DriverCommand) => {
    if (command.cmd === 'start-load') {
      startLoad().catch((e: Error) => void report.problems.push(`error start of load: ${e.message}`));
    } else if (command.cmd === 'stop-load') {
      timers.splice(1).forEach((t) => clearInterval(t));
      if (me === 'meeting') void manager.scheduler.removeRecurring('soak-tick').catch(() => undefined);
    } else if (command.cmd === 'shutdown') {
      void (async () => {
        timers.forEach((t) => clearInterval(t));
        await streams.close({ drainTimeoutMs: 2000 }).catch(() => undefined);
        await manager.shutdown({ drainTimeoutMs: 5000 }).catch(() => undefined);
        client.disconnect();
        flush();
        send({ kind: 'stopped', service: me });
        setTimeout(() => process.exit(0), 100);
      })();
    }
  });
  send({ kind: 'ready', service: me });
}

process.on('disconnect', () => process.exit(0)); // the driver went away: never outlive it
main().catch((error: Error) => {
  process.stderr.write(`soak mixed-load process ${me} failed to start: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
