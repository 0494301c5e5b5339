/**
 * The queue's own calls refuse a bad argument with InvalidOptionError naming the call and the
 * argument (`peek.limt`, `deadLetters.get.id`), before anything is read or changed: null options, a
 * misspelt option (which would have run with its default) and ids that are not message ids.
 */
import { DeadLetterNotFoundError, InvalidOptionError, NonRetryableError } from '../errors';
import { waitFor, quietLogger } from '../testing';
import * as callArguments from './call-arguments';
import { createQueue } from './create-queue';
import type { StoreBackedQueue } from './task-queue';

describe('queue call arguments', () => {
  let queue: StoreBackedQueue;
  let deadId: string;
  beforeAll(async () => {
    queue = createQueue({ name: 'args', backend: { type: 'memory' }, logger: quietLogger });
    queue.process('dead', () => {
      throw new NonRetryableError('planned');
    });
    deadId = await queue.publish({ type: 'dead', payload: null });
    await waitFor(async () => (await queue.deadLetters.list()).total === 1, 'one dead letter');
  });
  afterAll(() => queue.close({ drainTimeoutMs: 100 }));

  const refused = async (call: () => Promise<unknown>, path: string) => {
    const error = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ code: 'INVALID_OPTION', path });
  };
  const dead = () => queue.deadLetters as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;

  it.each([
    [null, 'peek.options'],
    [[], 'peek.options'],
    [5, 'peek.options'],
    [{ limt: 1 }, 'peek.limt'],
    [{ offset: -1 }, 'peek.offset'],
    [{ limit: 1001 }, 'peek.limit'],
    [{ limit: null }, 'peek.limit'],
  ])('peek(normal, %p) is refused at %s', (options, path) => refused(() => queue.peek('normal', options as object), path));

  it('peek refuses a bad target before its options', () => refused(() => queue.peek('nowhere' as 'normal', null as unknown as object), 'peek.target'));

  it.each([
    [null, 'deadLetters.list.options'],
    ['x', 'deadLetters.list.options'],
    [{ ofset: 5 }, 'deadLetters.list.ofset'],
    [{ offset: 1.5 }, 'deadLetters.list.offset'],
    [{ limit: 0 }, 'deadLetters.list.limit'],
  ])('deadLetters.list(%p) is refused at %s', (options, path) => refused(() => dead().list(options), path));

  it.each([123, '', undefined, null, {}, ['id']])('deadLetters.get/replay/delete(%p) are refused naming the call', async (id) => {
    await refused(() => dead().get(id), 'deadLetters.get.id');
    await refused(() => dead().replay(id), 'deadLetters.replay.id');
    await refused(() => dead().delete(id), 'deadLetters.delete.id');
  });

  it('process(type, handler, null) is refused at process.options', () => {
    expect(() => queue.process('other', () => undefined, null as unknown as object)).toThrow(expect.objectContaining({ path: 'process.options' }));
  });

  it('nothing was changed by the refused calls; good arguments work as before', async () => {
    const page = await queue.deadLetters.list({ offset: undefined, limit: undefined });
    expect(page).toMatchObject({ total: 1, offset: 0, limit: 50 });
    expect(page.items[0].id).toBe(deadId);
    expect(await queue.peek('normal', { offset: undefined, limit: undefined })).toMatchObject({ offset: 0, limit: 20, total: 0 });
    expect(await queue.deadLetters.get('missing')).toBeNull();
    expect(await queue.deadLetters.delete('missing')).toBe(false);
    await expect(queue.deadLetters.replay('missing')).rejects.toThrow(DeadLetterNotFoundError);
    expect(await queue.deadLetters.get(deadId)).toMatchObject({ id: deadId, reason: expect.stringContaining('planned') });
  });
});

/**
 * One page/id check serves the queue and `QueueAdmin`: the same defaults, the same `<path>.options`
 * for options that are not an object, the same expectation for a bad id, naming the value found.
 */
describe('the one page and id check', () => {
  const { checkId, checkIds, checkPage } = callArguments;
  const error = (call: () => unknown): unknown => {
    try {
      call();
    } catch (e) {
      return e;
    }
    return undefined;
  };

  it("fills in the defaults: offset 0, the caller's limit or the peek default", () => {
    expect(checkPage(undefined, 'inflight')).toEqual({ offset: 0, limit: callArguments.PEEK_LIMIT_DEFAULT });
    expect(checkPage({ offset: 3 }, 'deadLetters.list', callArguments.DEAD_LETTER_LIMIT_DEFAULT)).toEqual({ offset: 3, limit: 50 });
  });

  it.each([
    [() => checkPage(null, 'inflight'), 'inflight.options', null, 'an options object { offset, limit }'],
    [() => checkPage({ limit: 1001 }, 'inflight'), 'inflight.limit', 1001, 'an integer in [1, 1000]'],
    [() => checkId(42, 'status.id'), 'status.id', 42, 'an id (a non-empty string)'],
    [() => checkId('', 'deadLetters.get.id'), 'deadLetters.get.id', '', 'an id (a non-empty string)'],
    [() => checkIds('abc', 'replay.ids'), 'replay.ids', 'abc', 'an array of ids'],
    [() => checkIds(['a', 7], 'replay.ids'), 'replay.ids[1]', 7, 'an id (a non-empty string)'],
  ])('refuses with an InvalidOptionError naming the argument and the value (%#)', (call, path, found, expected) => {
    const e = error(call);
    expect(e).toBeInstanceOf(InvalidOptionError);
    expect(e).toMatchObject({ path, found, expected });
  });
});
