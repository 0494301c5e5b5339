import { InvalidOptionError, ProgressEvent } from '../../src';
import { deferred, waitFor } from '../support/wait';
import type { Conformance } from './queue.conformance-support';
import { record, refOf, uniqueName } from './queue.conformance-support';

/**
 * Progress reports, run by the queue conformance suite on every backend: what getStatus and peek show
 * while a delivery runs, the onProgress listeners of every process, invalid values, and late values
 * of a delivery whose lease moved on.
 */
export function describeProgressConformance({ fixture, make }: Conformance): void {
  test('progress: shown by getStatus while the delivery runs, last value of a burst written, gone once finished', async () => {
    const { queue } = make();
    const release = deferred();
    const reported = deferred();
    queue.process('p', async (_m, ctx) => {
      const { progress } = ctx; // works detached, like extendLease
      await progress(10);
      // a burst: only the newest value is written after the throttle interval, and it is always written
      const burst = [20, 30, { done: 3, of: 4, stage: 'encode' }].map((v) => ctx.progress(v));
      await Promise.all(burst);
      reported.resolve();
      await release.promise;
      return 'ok';
    });
    const id = await queue.publish({ type: 'p' });
    await reported.promise;
    const status = await queue.getStatus(id);
    expect(status).toMatchObject({ state: 'processing', progress: { done: 3, of: 4, stage: 'encode' } });
    expect(Math.abs(status!.progressAt! - Date.now())).toBeLessThan(60_000);
    const inflight = await queue.peek('inflight');
    expect(inflight.items[0]).toMatchObject({ id, progress: { done: 3, of: 4, stage: 'encode' }, progressAt: status!.progressAt });
    release.resolve();
    await waitFor(async () => (await queue.getStatus(id))?.state === 'completed', 'completion');
    expect(await queue.getStatus(id)).not.toHaveProperty('progress');
  });

  test('progress: onProgress listeners of every process get the reports as written; a late one of a stale delivery is not published', async () => {
    const name = uniqueName();
    const { queue: worker } = fixture.create({ name });
    const { queue: watcher } = fixture.create({ name });
    const events: ProgressEvent[] = [];
    const stop = await watcher.onProgress((e) => void events.push(e));
    const release = deferred();
    worker.process('p', async (_m, ctx) => {
      await ctx.progress({ percent: 50 });
      await release.promise;
    });
    const id = await worker.publish({ type: 'p' });
    await waitFor(() => events.length === 1, 'the progress event');
    expect(events[0]).toMatchObject({ queue: name, id, type: 'p', attempt: 1, progress: { percent: 50 } });
    expect(typeof events[0].at).toBe('number');
    release.resolve();
    await waitFor(async () => (await worker.getStatus(id))?.state === 'completed', 'completion');
    await stop();
    await expect(watcher.onProgress('x' as never)).rejects.toBeInstanceOf(InvalidOptionError);
  });

  test('progress: invalid values are refused with InvalidOptionError naming progress; nothing is written', async () => {
    const { queue } = make();
    const errors: unknown[] = [];
    const release = deferred();
    const checked = deferred();
    queue.process('p', async (_m, ctx) => {
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      for (const bad of [Number.NaN, Infinity, undefined, () => 1, circular, 'x'.repeat(5000), BigInt(1)]) {
        try {
          void ctx.progress(bad);
        } catch (error) {
          errors.push(error);
        }
      }
      checked.resolve();
      await release.promise;
    });
    const id = await queue.publish({ type: 'p' });
    await checked.promise;
    expect(errors).toHaveLength(7);
    for (const error of errors) {
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).path).toMatch(/^progress(\.self)?$/); // a cycle names where it is
    }
    expect(await queue.getStatus(id)).not.toHaveProperty('progress');
    release.resolve();
    await waitFor(async () => (await queue.getStatus(id))?.state === 'completed', 'completion');
  });

  test('progress: a late value from a delivery whose lease moved on is ignored; the current delivery starts with none', async () => {
    const { queue, store } = make();
    const published: string[] = [];
    const stop = await store.subscribeProgress((e) => void published.push(e));
    const id = await queue.publish({ type: 'p' });
    const first = refOf((await store.fetch(1, 100, null, 0)).deliveries[0]);
    expect(await store.progress(first, '1', '1')).toBe(true);
    expect(await queue.getStatus(id)).toMatchObject({ state: 'processing', progress: 1 });
    const second = refOf(await waitFor(async () => (await store.fetch(1, 30_000, null, 0)).deliveries[0], 'redelivery after the lease expired'));
    expect(second.lease).not.toBe(first.lease);
    expect(await queue.getStatus(id)).not.toHaveProperty('progress');
    expect(await store.progress(first, '99', '99')).toBe(false);
    expect(await queue.getStatus(id)).not.toHaveProperty('progress');
    expect((await queue.peek('inflight')).items[0]).not.toHaveProperty('progress');
    expect(await store.progress(second, '{"step":2}', '{"step":2}')).toBe(true);
    expect(await queue.getStatus(id)).toMatchObject({ progress: { step: 2 } });
    expect((await queue.peek('inflight')).items[0]).toMatchObject({ id, progress: { step: 2 } });
    expect(await store.progress(first, '99', '99')).toBe(false);
    expect(await queue.getStatus(id)).toMatchObject({ progress: { step: 2 } });
    expect(await store.complete([{ ...second, record: record('p', null, 2) }])).toEqual([]);
    expect(await store.progress(second, '100', '100')).toBe(false);
    expect(await queue.getStatus(id)).toMatchObject({ state: 'completed' });
    expect(await queue.getStatus(id)).not.toHaveProperty('progress');
    // only the recorded values were published (in order: a stale one would have come before the last)
    await waitFor(() => published.includes('{"step":2}'), 'the last recorded value published');
    expect(published).toEqual(['1', '{"step":2}']);
    await stop();
  });
}
