/** createQueue and process() refuse an unknown option (a misspelt one would run with the default), naming its path and the known ones. */
import { InvalidOptionError, QueueConfigError } from '../errors';
import { createQueue, CreateQueueOptions } from './create-queue';

const make = (extra: object) => () => createQueue({ name: 'q', backend: { type: 'memory' }, ...extra } as CreateQueueOptions);

describe('createQueue unknown options', () => {
  it('refuses an unknown top-level key with QueueConfigError naming it and listing the options', () => {
    const create = make({ concurency: 10 });
    expect(create).toThrow(QueueConfigError);
    expect(create).toThrow(expect.objectContaining({ code: 'QUEUE_CONFIG', path: 'queue.concurency', found: 'concurency' }));
    expect(create).toThrow(/^queue\.concurency: expected a known option \(name, concurrency, .*backend, observer, logger\), got "concurency"$/);
  });

  it.each([
    ['backend (memory)', { backend: { type: 'memory', prefix: 'mq' } }, 'queue.backend.prefix', '(type)'],
    ['backend (redis)', { backend: { type: 'redis', client: undefined, prefx: 'mq' } }, 'queue.backend.prefx', '(type, client, prefix)'],
    ['backoff', { backoff: { baseMS: 10 } }, 'queue.backoff.baseMS', '(baseMs, factor, maxMs, jitter)'],
    ['deadLetter', { deadLetter: { enable: false } }, 'queue.deadLetter.enable', '(enabled, maxSize, maxAgeMs)'],
    ['completedRetention', { completedRetention: { max: 1 } }, 'queue.completedRetention.max', '(count, ageMs)'],
    ['outbox', { outbox: { size: 1 } }, 'queue.outbox.size', '(enabled, maxSize)'],
    ['durability', { durability: { replica: 1 } }, 'queue.durability.replica', '(replicas, timeoutMs)'],
    ['rateLimit', { rateLimit: { max: 1, per: 1000 } }, 'queue.rateLimit.per', '(max, perMs)'],
    ['rateLimits entry', { rateLimits: { t: { max: 1, perMs: 1, burst: 2 } } }, 'queue.rateLimits.t.burst', '(max, perMs)'],
    ['scheduling', { scheduling: { mode: 'weighted', weight: {} } }, 'queue.scheduling.weight', '(mode, weights)'],
  ])('refuses an unknown key of %s', (_what, extra, path, known) => {
    const create = make(extra);
    expect(create).toThrow(QueueConfigError);
    expect(create).toThrow(`${path}: expected a known option ${known}`);
  });

  it('accepts known keys, and weights left beside mode strict', async () => {
    const queue = make({ scheduling: { mode: 'strict', weights: { critical: 8, high: 4, normal: 2, low: 1 } }, observer: {}, logger: undefined })();
    expect(queue.options.scheduling).toEqual({ mode: 'strict' });
    await queue.close();
  });
});

describe('process() unknown options', () => {
  const queue = make({})();
  afterAll(() => queue.close());

  it('refuses an unknown key with InvalidOptionError at process.<key>', () => {
    const register = () => queue.process('t', () => undefined, { concurency: 2 } as object);
    expect(register).toThrow(InvalidOptionError);
    expect(register).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', path: 'process.concurency' }));
    expect(register).toThrow('process.concurency: expected a known option (concurrency, timeoutMs, rateLimit), got "concurency"');
    // nothing was registered: the type can still be handled
    expect(() => queue.process('t', () => undefined, { concurrency: 2 })).not.toThrow();
  });

  it('refuses an unknown key of its rateLimit', () => {
    expect(() => queue.process('u', () => undefined, { rateLimit: { max: 1, perMs: 1, per: 2 } as object as { max: number; perMs: number } })).toThrow(
      'process.rateLimit.per: expected a known option (max, perMs), got "per"',
    );
  });
});
