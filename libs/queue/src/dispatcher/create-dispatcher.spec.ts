/** createDispatcher names the bad option of its configuration. */
import { QueueConfigError } from '../errors';
import { createDispatcher } from './create-dispatcher';

describe('createDispatcher', () => {
  it('names the bad option', () => {
    const make = (o: object) => () => createDispatcher({ service: 'svc', backend: { type: 'memory' }, ...o });
    expect(make({ service: 'bad name' })).toThrow(/dispatcher\.service/);
    expect(make({ routes: { t: { queue: '' } } })).toThrow(/dispatcher\.routes\.t\.queue/);
    expect(make({ routes: { t: { queue: 'q', priority: 'x' } } })).toThrow(QueueConfigError);
    expect(make({ backend: { type: 'x' } })).toThrow(/dispatcher\.backend\.type/);
    expect(make({ backend: { type: 'redis' } })).toThrow('dispatcher.backend.client: expected an ioredis client (createRedisClient), got nothing');
    expect(make({ backend: { type: 'redis', client: {} } })).toThrow(/dispatcher\.backend\.client: expected an ioredis client/);
  });

  it('refuses durations longer than a Node timer waits (2^31 - 1 ms: a longer one fires after 1 ms)', () => {
    const make = (o: object) => () => createDispatcher({ service: 'svc', backend: { type: 'memory' }, ...o });
    expect(make({ replyTimeoutMs: 3_000_000_000 })).toThrow('dispatcher.replyTimeoutMs: expected an integer in [1, 2147483647], got 3000000000');
    expect(make({ webhook: { timeoutMs: 2 ** 31 } })).toThrow(/dispatcher\.webhook\.timeoutMs/);
    expect(make({ webhook: { backoffMs: 2 ** 31 } })).toThrow(/dispatcher\.webhook\.backoffMs/);
    expect(make({ claimIdleMs: 2 ** 31 })).toThrow(/dispatcher\.claimIdleMs/);
    expect(make({ blockMs: 2 ** 31 })).toThrow(/dispatcher\.blockMs/);
    expect(make({ replyTimeoutMs: 2 ** 31 - 1 })).not.toThrow();
  });
});
