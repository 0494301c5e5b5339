/**
 * The two processes of `priority-preemption` besides the harness (which publishes the criticals):
 * the consumer, and the producer keeping the low backlog topped up. Forked by the scenario
 * (bench/lib/child.ts); a deployment has its workers and its producers in processes of their own,
 * so neither the consumer's garbage collector nor the top-ups' allocations delay the criticals'
 * publisher, and the consumer's pauses are its own. One child serves every run of a system, one
 * after the other (a run opens its own system on fresh keys and closes it before it answers
 * `result` or `stopped`): starting a child costs seconds of ts-node, nine times per system.
 */
import type { BenchMsg, SystemFactoryOptions, SystemKind } from '../systems';
import { openSystem } from '../systems';
import { toParent } from '../lib/child';
import { GcPauses, startGcMeter } from '../lib/gc-meter';
import { DeliveryTracker } from '../lib/tracker';
import { monotonicMs, sleep, waitUntil } from '../lib/time';

export type PreemptionChildIn =
  /**
   * Consume at `concurrency`. While measured (from `measure` to `finish`) each handler lasts
   * `handlerMs` (a timer; 0: returns at once); before and after, handlers return at once, so the
   * backlog drains at full speed whatever the measured duration.
   */
  | { type: 'consume'; kind: SystemKind; options: SystemFactoryOptions; concurrency: number; handlerMs: number; timeoutMs: number }
  /** Keep `backlog` lows waiting, publishing `batch` at a time with at most `inFlight` batches unanswered; ids from `first`. */
  | { type: 'produce'; kind: SystemKind; options: SystemFactoryOptions; backlog: number; first: number; batch: number; inFlight: number }
  /** To the producer: lows started so far (relayed from the consumer's progress). */
  | { type: 'started'; lows: number }
  /** To the consumer: criticals are published from now on (its GC pauses are counted until `finish`). */
  | { type: 'measure' }
  /** To the producer: publish no more, answer `stopped` once every batch is answered and the run's system is closed. */
  | { type: 'stop' }
  /** To the consumer: wait for these many of each, check each started exactly once, close the run's system, answer `result`. */
  | { type: 'finish'; criticals: number; lows: number };

export type PreemptionChildOut =
  | { type: 'ready' }
  | { type: 'progress'; lows: number }
  | { type: 'stopped'; published: number; topUps: number }
  /**
   * Start times (monotonicMs) of each critical by id, and of every low in start order; GC pauses of
   * the consumer while measured; the measured handlers' durations, start to end (empty for 0 ms).
   */
  | { type: 'result'; criticalStarts: number[]; lowStarts: number[]; gcPauses: GcPauses; handlerDurations: number[] };

/** The run in progress: where the harness's messages go, and how it ends early (the harness left). */
interface Run {
  onMessage(msg: PreemptionChildIn): void;
  close(): Promise<void>;
}
let run: Run | undefined;

/** How often the consumer tells how many lows started (the producer tops up from it). */
const PROGRESS_EVERY_MS = 10;

async function consume(msg: Extract<PreemptionChildIn, { type: 'consume' }>): Promise<void> {
  const system = openSystem(msg.kind, msg.options);
  await system.ready();
  const lows = new DeliveryTracker(1 << 18);
  const criticals = new DeliveryTracker(1024);
  let lowStarts = new Float64Array(1 << 18);
  let lowsStarted = 0;
  const criticalStarts: number[] = [];
  const handlerDurations: number[] = [];
  let stopGc: (() => GcPauses) | undefined;
  let paced = false;
  const pace = (startedAt: number): Promise<void> =>
    sleep(msg.handlerMs).then(() => {
      if (paced) handlerDurations.push(monotonicMs() - startedAt);
    });
  function record(m: BenchMsg, at: number): void {
    if (m.t === undefined) {
      if (lowsStarted === lowStarts.length) {
        const grown = new Float64Array(lowStarts.length * 2);
        grown.set(lowStarts);
        lowStarts = grown;
      }
      lowStarts[lowsStarted++] = at;
      lows.record(m.i);
      return;
    }
    criticalStarts[m.i] = at;
    criticals.record(m.i);
  }
  await system.consume(msg.concurrency, (m: BenchMsg) => {
    const at = monotonicMs();
    const done = paced && msg.handlerMs > 0 ? pace(at) : undefined;
    record(m, at);
    return done;
  });
  const progress = setInterval(() => toParent({ type: 'progress', lows: lowsStarted }), PROGRESS_EVERY_MS);
  const close = () => {
    clearInterval(progress);
    run = undefined;
    return system.close();
  };
  run = {
    close,
    onMessage: (raw) => {
      if (raw.type === 'measure') {
        stopGc = startGcMeter();
        paced = true;
      }
      if (raw.type !== 'finish') return;
      paced = false;
      const gcPauses = stopGc?.() ?? { count: 0, totalMs: 0, maxMs: 0, over5ms: 0 };
      void (async () => {
        // A slow system on a busy machine may take minutes to work through the backlog: fail only
        // when nothing starts for timeoutMs (stuck), naming what was seen by then.
        let seen = -1;
        let movedAt = monotonicMs();
        while (criticals.delivered < raw.criticals || lows.delivered < raw.lows) {
          const now = monotonicMs();
          if (criticals.delivered + lows.delivered !== seen) {
            seen = criticals.delivered + lows.delivered;
            movedAt = now;
          } else if (now - movedAt > msg.timeoutMs) {
            throw new Error(
              `no start for ${msg.timeoutMs} ms waiting for ${raw.criticals} criticals and ${raw.lows} lows (saw ${criticals.delivered} and ${lows.delivered})`,
            );
          }
          await sleep(5);
        }
        await waitUntil(() => system.isDrained(), msg.timeoutMs, 'the backend to report nothing waiting or in flight', 5);
        criticals.verify(raw.criticals, `${msg.kind} priority-preemption c${msg.concurrency} criticals`);
        lows.verify(raw.lows, `${msg.kind} priority-preemption c${msg.concurrency} lows`);
        await close();
        toParent({ type: 'result', criticalStarts, lowStarts: Array.from(lowStarts.subarray(0, lowsStarted)), gcPauses, handlerDurations });
      })().catch((error: Error) => toParent({ type: 'failed', message: error.message }));
    },
  };
  toParent({ type: 'ready' });
}

async function produce(msg: Extract<PreemptionChildIn, { type: 'produce' }>): Promise<void> {
  const system = openSystem(msg.kind, msg.options);
  await system.ready();
  let published = msg.first;
  let started = 0;
  let topUps = 0;
  let stopping = false;
  let inFlight = 0;
  let failure: Error | undefined;
  /** Wakes the loop below: progress came in, a batch was answered, or stop. */
  let wake: () => void = () => undefined;
  const nudge = () => wake();
  run = {
    close: () => {
      run = undefined;
      return system.close();
    },
    onMessage: (raw) => {
      if (raw.type === 'started') started = raw.lows;
      if (raw.type === 'stop') stopping = true;
      nudge();
    },
  };
  toParent({ type: 'ready' });
  while (!stopping && !failure) {
    if (inFlight >= msg.inFlight || published - started >= msg.backlog) {
      await new Promise<void>((resolve) => (wake = resolve));
      continue;
    }
    const batch: BenchMsg[] = [];
    for (let k = 0; k < msg.batch; k++) batch.push({ i: published++, p: 3 });
    inFlight++;
    topUps++;
    system.publishBatch(batch).then(
      () => {
        inFlight--;
        nudge();
      },
      (error: Error) => {
        failure = error;
        nudge();
      },
    );
  }
  await waitUntil(() => inFlight === 0 || failure !== undefined, 60_000, 'the last top-ups to be answered');
  if (failure) throw failure;
  await run?.close();
  toParent({ type: 'stopped', published: published - msg.first, topUps });
}

process.on('message', (msg: PreemptionChildIn) => {
  if (msg.type !== 'consume' && msg.type !== 'produce') return run?.onMessage(msg);
  if (run) return toParent({ type: 'failed', message: `${msg.type} sent while a run is in progress` });
  (msg.type === 'consume' ? consume(msg) : produce(msg)).catch((error: Error) => toParent({ type: 'failed', message: error.message }));
});
process.once('disconnect', () => void (run?.close() ?? Promise.resolve()).finally(() => process.exit(0)));
