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
  });
});
