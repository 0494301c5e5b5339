/** createDispatcher refuses an unknown option, of itself, its backend, its webhook or a route, naming its path and the known ones. */
import { QueueConfigError } from '../errors';
import { createDispatcher, CreateDispatcherOptions } from './create-dispatcher';

const make = (extra: object) => () => createDispatcher({ service: 'svc', backend: { type: 'memory' }, ...extra } as CreateDispatcherOptions);

describe('createDispatcher unknown options', () => {
  it('refuses an unknown top-level key with QueueConfigError naming it and listing the options', () => {
    const create = make({ replyTimeout: 100 });
    expect(create).toThrow(QueueConfigError);
    expect(create).toThrow(expect.objectContaining({ code: 'QUEUE_CONFIG', path: 'dispatcher.replyTimeout', found: 'replyTimeout' }));
    expect(create).toThrow(
      'dispatcher.replyTimeout: expected a known option (service, backend, routes, routingEnabled, localQueue, queues, statusRetentionMs, ' +
        'replyTimeoutMs, resultsMaxLen, claimIdleMs, blockMs, webhook, logger), got "replyTimeout"',
    );
  });

  it.each([
    ['a memory backend', { backend: { type: 'memory', prefix: 'dsp' } }, 'dispatcher.backend.prefix: expected a known option (type, hub), got "prefix"'],
    [
      'a redis backend',
      { backend: { type: 'redis', consumer: 'c' } },
      'dispatcher.backend.consumer: expected a known option (client, queuePrefix, durability, onDurabilityTimeout, queuePartitions, type, prefix, consumerName), got "consumer"',
    ],
    [
      'its durability',
      { backend: { type: 'redis', durability: { timeout: 5 } } },
      'dispatcher.backend.durability.timeout: expected a known option (replicas, timeoutMs)',
    ],
    ['the webhook', { webhook: { retries: 3 } }, 'dispatcher.webhook.retries: expected a known option (attempts, backoffMs, timeoutMs, secret), got "retries"'],
    [
      'a route',
      { routes: { t: { queue: 'q', timeout: 5 } } },
      'dispatcher.routes.t.timeout: expected a known option (queue, priority, timeoutMs, maxRetries), got "timeout"',
    ],
  ])('refuses an unknown key of %s', (_what, extra, message) => {
    expect(make(extra)).toThrow(QueueConfigError);
    expect(make(extra)).toThrow(message);
  });

  it('refuses a webhook secret shorter than 16 characters (or a whsec_ one that is not base64 of 16 bytes) without showing it', () => {
    for (const secret of ['short-secret-15c', 'whsec_c2hvcnQ=', 'whsec_not base64 at all!!!!', 42]) {
      const given = secret === 'short-secret-15c' ? secret.slice(1) : secret;
      expect(make({ webhook: { secret: given } })).toThrow(expect.objectContaining({ code: 'QUEUE_CONFIG', path: 'dispatcher.webhook.secret' }));
      if (typeof given === 'string') expect(make({ webhook: { secret: given } })).not.toThrow(given);
    }
    expect(make({ webhook: { secret: 'a-secret-of-16ch' } })).not.toThrow();
    expect(make({ webhook: { secret: `whsec_${Buffer.alloc(24, 7).toString('base64')}` } })).not.toThrow();
  });

  it('accepts routes with their known keys', () => {
    expect(make({ routes: { t: { queue: 'q', priority: 'high', timeoutMs: 5, maxRetries: 1 } } })).not.toThrow();
  });
});
