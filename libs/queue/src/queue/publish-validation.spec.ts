import { InvalidOptionError } from '../errors';
import { decodeBody } from './message-codec';
import { preparePublish } from './publish-validation';
import { resolveQueueOptions } from './queue-options';
import type { PublishOptions } from './queue.types';

const queue = resolveQueueOptions({ name: 'pv' });

function errorOf(run: () => unknown): InvalidOptionError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError);
    return error as InvalidOptionError;
  }
  throw new Error('expected an InvalidOptionError');
}

describe('preparePublish', () => {
  it('names the option, and the index of a batch member, in its errors', () => {
    const cases: Array<[PublishOptions, string]> = [
      [{ type: 't', bogus: 1 } as unknown as PublishOptions, 'bogus'],
      [{ type: 'a b' }, 'type'],
      [{ type: 't', priority: 'urgent' as never }, 'priority'],
      [{ type: 't', delayMs: -1 }, 'delayMs'],
      [{ type: 't', maxRetries: 1.5 }, 'maxRetries'],
      [{ type: 't', timeoutMs: 'soon' as never }, 'timeoutMs'],
      [{ type: 't', idempotencyTtlMs: 0 }, 'idempotencyTtlMs'],
      [{ type: 't', idempotencyKey: '' }, 'idempotencyKey'],
      [{ type: 't', group: 'a|b' }, 'group'],
      [{ type: 't', payload: BigInt(1) }, 'payload'],
    ];
    for (const [options, field] of cases) {
      expect(errorOf(() => preparePublish(options, queue)).message).toMatch(new RegExp(`^publish\\.${field}: `));
      expect(errorOf(() => preparePublish(options, queue, 3)).message).toMatch(new RegExp(`^publishBatch\\[3\\]\\.${field}: `));
    }
    expect(errorOf(() => preparePublish(null as unknown as PublishOptions, queue, 0)).message).toMatch(/^publishBatch\[0\]: /);
  });

  it('checks every type, also after a valid one was published (the check of a repeated type is skipped only for that same string)', () => {
    preparePublish({ type: 'same' }, queue);
    expect(preparePublish({ type: 'same' }, queue).body).toContain('|same|');
    for (const bad of [undefined, '', 'a|b', 7]) {
      expect(errorOf(() => preparePublish({ type: bad } as unknown as PublishOptions, queue, 1)).message).toMatch(/^publishBatch\[1\]\.type: /);
    }
  });

  it('encodes each message with its own header fields when the messages of a batch differ', () => {
    const now = 1_700_000_000_000;
    const made = [
      preparePublish({ type: 'a', payload: 1 }, queue, 0, now),
      preparePublish({ type: 'a', payload: 2, priority: 'critical' }, queue, 1, now),
      preparePublish({ type: 'b', payload: 3, maxRetries: 0, timeoutMs: 5 }, queue, 2, now),
      preparePublish({ type: 'b', payload: 4, maxRetries: 1, timeoutMs: 5 }, queue, 3, now),
      preparePublish({ type: 'b', payload: 5, maxRetries: 1, timeoutMs: 6 }, queue, 4, now),
      preparePublish({ type: 'b', payload: 6, maxRetries: 1, timeoutMs: 6, priority: 'low' }, queue, 5, now),
      preparePublish({ type: 'b', payload: 7, maxRetries: 1, timeoutMs: 6, priority: 'low', group: 'g1' }, queue, 6, now + 1),
      preparePublish({ type: 'c', payload: 8, maxRetries: 1, timeoutMs: 6, priority: 'low' }, queue, 7, now + 1),
    ];
    const decoded = made.map((m) => decodeBody(m.body));
    expect(
      decoded.map((d) =>
        d.ok ? [d.header.type, d.header.priority, d.header.maxRetries, d.header.timeoutMs, d.header.createdAt, d.header.group, d.payload] : d.reason,
      ),
    ).toEqual([
      ['a', 2, queue.maxRetries, queue.defaultTimeoutMs, now, undefined, 1],
      ['a', 0, queue.maxRetries, queue.defaultTimeoutMs, now, undefined, 2],
      ['b', 2, 0, 5, now, undefined, 3],
      ['b', 2, 1, 5, now, undefined, 4],
      ['b', 2, 1, 6, now, undefined, 5],
      ['b', 3, 1, 6, now, undefined, 6],
      ['b', 3, 1, 6, now + 1, 'g1', 7],
      ['c', 3, 1, 6, now + 1, undefined, 8],
    ]);
    expect(made[6].group).toBe('g1');
    expect('group' in made[0]).toBe(false);
    expect(new Set(made.map((m) => m.id)).size).toBe(8);
  });
});
