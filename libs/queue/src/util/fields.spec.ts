import { parseConfig } from '../config/config-loader';
import { ConfigValidationError } from '../config/config-errors';
import { InvalidOptionError, QueueConfigError } from '../errors';
import { createEventBus } from '../events/create-event-bus';
import { createQueue } from '../queue/create-queue';
import { checkOption, checkTaskType, intField, numberField } from './fields';

/** The error `fn` throws (the test fails when it throws none). */
function thrown<E>(fn: () => unknown, type: new (...args: never[]) => E): E {
  try {
    fn();
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`expected a ${type.name}`);
}

const yamlProblem = (raw: Record<string, unknown>) =>
  thrown(() => parseConfig(raw, { env: {} }), ConfigValidationError)
    .problems.map((p) => p.expected)
    .join('; ');
const optionProblem = (fn: () => unknown) => thrown(fn, QueueConfigError);

describe('shared validators', () => {
  it('say what they expect, with the option path and the value found', () => {
    expect(() => checkOption(intField(1, 16), 0, 'x.size')).toThrow('x.size: expected an integer in [1, 16], got 0');
    expect(() => checkOption(intField(0), 1.5, 'x.n')).toThrow('x.n: expected a non-negative integer, got 1.5');
    expect(() => checkOption(numberField(0, 1), 'a', 'x.j')).toThrow('x.j: expected a number in [0, 1], got "a"');
    expect(checkOption(intField(1).default(4), undefined, 'x.w')).toBe(4);
    expect(() => checkTaskType('bad type!', 'publish.type')).toThrow(InvalidOptionError);
    expect(() => checkTaskType('a|b', 'publish.type')).toThrow('publish.type: expected a task type of 1..128 characters from [A-Za-z0-9_.:/-], got "a|b"');
  });

  it('give a YAML key and the factory option behind it the same expectation', () => {
    const queue = (o: Record<string, unknown>) => optionProblem(() => createQueue({ name: 'q', backend: { type: 'memory' }, ...o }));
    expect(queue({ prefetch: 0 }).message).toBe('queue.prefetch: expected an integer in [1, 10000], got 0');
    expect(yamlProblem({ limits: { prefetch: 0 } })).toBe(queue({ prefetch: 0 }).expected);
    // the queue's concurrency has the bound process() checks (10,000): accepted there means it works there
    expect(queue({ concurrency: 20_000 }).message).toBe('queue.concurrency: expected an integer in [1, 10000], got 20000');
    expect(yamlProblem({ message_queue: { workers: 20_000 } })).toBe(queue({ concurrency: 20_000 }).expected);
    expect(yamlProblem({ message_queue: { retry_backoff: { jitter: 2 } } })).toBe(queue({ backoff: { jitter: 2 } }).expected);
    expect(yamlProblem({ message_queue: { weights: { low: 0 } } })).toBe(
      queue({ scheduling: { mode: 'weighted', weights: { critical: 8, high: 4, normal: 2, low: 0 } } }).expected,
    );
    const bus = optionProblem(() => createEventBus({ type: 'local', bufferFullPolicy: 'block' as 'wait' }));
    expect(bus.path).toBe('event_bus.bufferFullPolicy');
    expect(yamlProblem({ event_bus: { buffer_full_policy: 'block' } })).toBe(bus.expected);
  });
});
