/** checkKnownKeys: an unknown own key of an options object is refused with the caller's typed error, naming its path and the known keys. */
import { InvalidOptionError, QueueConfigError } from '../errors';
import { checkKnownKeys, knownKeys } from './fields';

interface Sample {
  size: number;
  mode?: 'a' | 'b';
}

const KEYS = knownKeys<Sample>({ size: true, mode: true });

describe('checkKnownKeys', () => {
  it('lists the keys of the interface in the order written', () => {
    expect(KEYS).toEqual(['size', 'mode']);
  });

  it('refuses an unknown own key with QueueConfigError at <path>.<key>, listing the known keys', () => {
    const check = () => checkKnownKeys({ size: 1, moed: 'a' }, KEYS, 'thing');
    expect(check).toThrow(QueueConfigError);
    expect(check).toThrow(expect.objectContaining({ path: 'thing.moed', found: 'moed', expected: 'a known option (size, mode)' }));
    expect(check).toThrow('thing.moed: expected a known option (size, mode), got "moed"');
  });

  it('throws the error type it is given', () => {
    const check = () => checkKnownKeys({ extra: undefined }, KEYS, 'process', InvalidOptionError);
    expect(check).toThrow(InvalidOptionError);
    expect(check).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', path: 'process.extra' }));
  });

  it('accepts known keys (undefined values too), inherited keys, and leaves non-objects to the field checks', () => {
    expect(() => checkKnownKeys({ size: 1, mode: undefined }, KEYS, 'thing')).not.toThrow();
    expect(() => checkKnownKeys(Object.create({ inherited: 1 }), KEYS, 'thing')).not.toThrow();
    for (const value of [undefined, null, 3, 'text', ['x']]) expect(() => checkKnownKeys(value, KEYS, 'thing')).not.toThrow();
  });
});
