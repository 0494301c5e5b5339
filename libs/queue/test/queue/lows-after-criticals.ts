import type { Priority } from '../../src';
import type { StoreBackedQueue } from '../../src/queue/task-queue';
import { sleep, waitFor } from '../support/wait';

/**
 * The issue-9 scenario, shared by the queue and group conformance suites: a worker busy with a
 * `low` backlog (handlers ~1 ms, so it holds a look-ahead of leased messages), then `criticals`
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
  queue.process<string>(
    'mix',
    async (m) => {
      starts.push(m.payload);
      await sleep(1);
    },
    { concurrency },
  );
  await waitFor(() => starts.length >= 150, '150 lows started');
  await queue.publishBatch(
    Array.from({ length: criticals }, (_, i) => ({ type: 'mix', payload: 'critical', priority: 'critical' as Priority, ...group(i, groups?.criticals) })),
  );
  const publishedAt = starts.length;
  await waitFor(() => starts.filter((p) => p === 'critical').length === criticals, 'every critical started');
  return starts.slice(publishedAt, starts.lastIndexOf('critical')).filter((p) => p === 'low').length;
}
