import type { Priority } from '../../src';
import type { StoreBackedQueue } from '../../src/queue/task-queue';
import { sleep, waitFor } from '../support/wait';

/**
 * A handler's work in the issue-9 scenario: at least 1 ms, by the clock the worker times runs with
 * (`Date.now`, whole ms) and in real time. A bare `sleep(1)` is not: under load its timer, armed on
 * the event loop's stale clock, may fire 0.03 ms later, and a run may end within the millisecond
 * it began (about 1 in 10 runs beside two CPU burners). The worker then measures its handlers at
 * under 0.5 ms on average and, as documented, lets more than `concurrency` start per look at the
 * store (docs/architecture.md, "Look-ahead, preemption and pause"): 8 lows for a bound of 5 once.
 * Returns how long the run took by `Date.now`.
 */
async function workAtLeastOneMs(): Promise<number> {
  const began = Date.now();
  const beganReal = performance.now();
  while (Date.now() - began < 1 || performance.now() - beganReal < 1) await sleep(1);
  return Date.now() - began;
}

/**
 * The issue-9 scenario, shared by the queue and group conformance suites: a worker busy with a
 * `low` backlog (handlers of at least 1 ms, see workAtLeastOneMs, so its start budget is its
 * concurrency; it holds a look-ahead of leased messages), then `criticals`
 * `critical` messages published in one call. Returns how many `low` messages started after that
 * publish resolved and before the last critical started. With `groups`, the lows are spread over
 * `groups.lows` groups and the criticals over `groups.criticals`. The queue keeps running: the
 * caller ends it.
 */
export async function lowsStartedAfterCriticals(
  queue: StoreBackedQueue,
  concurrency: number,
  criticals: number,
  groups?: { lows: number; criticals: number },
): Promise<number> {
  const group = (i: number, of: number | undefined) => (of === undefined ? {} : { group: `g${i % of}` });
  await queue.publishBatch(Array.from({ length: 600 }, (_, i) => ({ type: 'mix', payload: 'low', priority: 'low' as Priority, ...group(i, groups?.lows) })));
  const starts: string[] = [];
  let shortest = Infinity;
  queue.process<string>(
    'mix',
    async (m) => {
      starts.push(m.payload);
      shortest = Math.min(shortest, await workAtLeastOneMs());
    },
    { concurrency },
  );
  await waitFor(() => starts.length >= 150, '150 lows started');
  await queue.publishBatch(
    Array.from({ length: criticals }, (_, i) => ({ type: 'mix', payload: 'critical', priority: 'critical' as Priority, ...group(i, groups?.criticals) })),
  );
  const publishedAt = starts.length;
  await waitFor(() => starts.filter((p) => p === 'critical').length === criticals, 'every critical started');
  // the bound under test is the one for handlers of 0.5 ms and more (as the worker times them)
  if (shortest < 1) throw new Error(`a handler run took ${shortest} ms by Date.now: the scenario needs runs of at least 1 ms`);
  return starts.slice(publishedAt, starts.lastIndexOf('critical')).filter((p) => p === 'low').length;
}
