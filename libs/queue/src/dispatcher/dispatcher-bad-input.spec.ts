/**
 * The dispatcher refuses arguments it would drop or misread, with InvalidOptionError naming the
 * call's argument (`dispatchBatch[0].paylaod`, `handle.options.concurency`, ...); nothing of a
 * refused call is published.
 */
import type { BatchItem, DispatchAndWaitOptions, DispatchHandler, Dispatcher } from './dispatcher';
import { DispatcherKit, memoryDispatcherKit } from './testing/dispatcher-test-kit';
import { waitFor } from '../testing';

const refusal = (path: string) => expect.objectContaining({ code: 'INVALID_OPTION', path });

describe('Dispatcher bad input', () => {
  let kit: DispatcherKit;
  let api: Dispatcher;
  const published = async () => (await kit.queue('work').stats()).total_published;

  beforeEach(() => {
    kit = memoryDispatcherKit();
    api = kit.dispatcher({ service: 'api', routes: { t: { queue: 'work' } } });
  });
  afterEach(async () => {
    await kit.close();
  });

  it('dispatchBatch refuses an unknown item key, an item that is not an object and a batch that is not an array; nothing is published', async () => {
    const misspelt = [{ type: 't', paylaod: { n: 1 } }] as unknown as BatchItem[];
    await expect(api.dispatchBatch(misspelt)).rejects.toMatchObject({ code: 'INVALID_OPTION', path: 'dispatchBatch[0].paylaod', found: 'paylaod' });
    await expect(api.dispatchBatch(misspelt)).rejects.toThrow('dispatchBatch[0].paylaod: expected a known option (type, payload, options), got "paylaod"');
    await expect(api.dispatchBatch([{ type: 't', payload: 1 }, { type: 't', payload: 2, priorty: 'high' } as BatchItem])).rejects.toMatchObject(
      refusal('dispatchBatch[1].priorty'),
    );
    for (const item of [null, 't', 42, [{ type: 't' }]]) {
      await expect(api.dispatchBatch([{ type: 't' }, item as unknown as BatchItem])).rejects.toMatchObject(refusal('dispatchBatch[1]'));
    }
    for (const batch of [{ type: 't' }, 't', null]) {
      await expect(api.dispatchBatch(batch as unknown as BatchItem[])).rejects.toMatchObject(refusal('dispatchBatch'));
    }
    expect(await published()).toBe(0);
    const worker = kit.dispatcher({ service: 'worker', localQueue: 'work', routes: {} });
    const seen: unknown[] = [];
    worker.handle('t', (payload) => void seen.push(payload));
    await api.dispatchBatch([{ type: 't', payload: { n: 1 } }]);
    await waitFor(() => seen.length === 1, 'the good batch');
    expect(seen).toEqual([{ n: 1 }]);
  });

  it('dispatch refuses a webhookUrl that is not an http(s) URL with a host, or longer than 2048 characters; nothing is published', async () => {
    const long = `https://example.org/${'a'.repeat(2030)}`;
    for (const webhookUrl of ['ftp://example.org/x', 'http://', 'https://[::1', 'http://exa mple.org', 'example.org/hook', long, 42]) {
      const dispatched = api.dispatch('t', 1, { webhookUrl } as never);
      await expect(dispatched).rejects.toMatchObject({ code: 'INVALID_OPTION', path: 'dispatch.options.webhookUrl', found: webhookUrl });
      await expect(dispatched).rejects.toThrow('expected an http:// or https:// URL of at most 2048 characters');
    }
    expect(await published()).toBe(0);
    await expect(api.dispatch('t', 1, { webhookUrl: `https://example.org/${'a'.repeat(2028)}` })).resolves.toMatch(/^work:/);
  });

  it('handle refuses options that are not an object or hold an unknown key at handle.options, and checks their values there', () => {
    const fn = () => 1;
    expect(() => api.handle('t', fn, null as never)).toThrow(refusal('handle.options'));
    expect(() => api.handle('t', fn, { concurency: 2 } as never)).toThrow(refusal('handle.options.concurency'));
    expect(() => api.handle('t', fn, { concurency: 2 } as never)).toThrow(
      'handle.options.concurency: expected a known option (concurrency, timeoutMs), got "concurency"',
    );
    expect(() => api.handle('t', fn, { concurrency: 0 })).toThrow(refusal('handle.options.concurrency'));
    expect(() => api.handle('t', fn, { timeoutMs: -1 })).toThrow(refusal('handle.options.timeoutMs'));
    expect(() => api.handle('bad type!', fn)).toThrow(refusal('handle.type'));
    expect(() => api.handle('t', 'fn' as unknown as DispatchHandler)).toThrow(refusal('handle.handler'));
    // nothing was registered: the type can still be handled
    expect(() => api.handle('t', fn, { concurrency: 2, timeoutMs: 1000 })).not.toThrow();
  });

  it('onCompleted, onFailed and onProgress refuse a type no task can have; a task type and * are accepted', () => {
    const cb = () => undefined;
    expect(() => api.onCompleted('no such type!!', cb)).toThrow(refusal('onCompleted.type'));
    expect(() => api.onFailed('', cb)).toThrow(refusal('onFailed.type'));
    expect(() => api.onProgress('a|b', cb)).toThrow(refusal('onProgress.type'));
    expect(() => api.onCompleted('no such type!!', cb)).toThrow(/or '\*' \(every type\)/);
    expect(() => api.onCompleted('t', cb)).not.toThrow();
    expect(() => api.onFailed('*', cb)).not.toThrow();
  });

  it('dispatchAndWait lists its own options for an unknown key, and refuses options that are not an object; nothing is published', async () => {
    const unknown = api.dispatchAndWait('t', 1, { timeout: 100 } as DispatchAndWaitOptions);
    await expect(unknown).rejects.toMatchObject(refusal('dispatchAndWait.options.timeout'));
    await expect(unknown).rejects.toThrow(
      'dispatchAndWait.options.timeout: expected a known option (timeoutMs, taskTimeoutMs, onProgress, priority, maxRetries, delayMs, webhookUrl, group), got "timeout"',
    );
    for (const options of ['abc', null, 5, ['x']]) {
      await expect(api.dispatchAndWait('t', 1, options as unknown as DispatchAndWaitOptions)).rejects.toMatchObject({
        code: 'INVALID_OPTION',
        path: 'dispatchAndWait.options',
        found: options,
      });
    }
    expect(await published()).toBe(0);
  });
});
