/** `sleepUnlessAborted` refuses a wait a timer cannot keep and a missing signal, naming the argument, before waiting. */
import { InvalidOptionError } from '../errors';
import { sleepUnlessAborted } from './abort';

describe('sleepUnlessAborted arguments', () => {
  const signal = new AbortController().signal;
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.name);
  beforeAll(() => process.on('warning', onWarning));
  afterAll(() => process.off('warning', onWarning));

  it.each([2 ** 31, Infinity, NaN, -1, '100', null])('refuses ms %p at sleepUnlessAborted.ms, without a timer', async (ms) => {
    const sleep = sleepUnlessAborted(ms as number, signal);
    await expect(sleep).rejects.toThrow(InvalidOptionError);
    await expect(sleep).rejects.toMatchObject({ path: 'sleepUnlessAborted.ms', found: ms, expected: 'a number in [0, 2147483647]' });
    // a 2^31 ms timer would have fired after 1 ms with a TimeoutOverflowWarning
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });

  it.each([undefined, null, {}, 'signal'])('refuses signal %p at sleepUnlessAborted.signal', async (bad) => {
    await expect(sleepUnlessAborted(100, bad as unknown as AbortSignal)).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      path: 'sleepUnlessAborted.signal',
    });
  });

  it('accepts 0, a fraction and the longest timer, and still ends early when the signal fires', async () => {
    await expect(sleepUnlessAborted(0, signal)).resolves.toBeUndefined();
    await expect(sleepUnlessAborted(0.5, signal)).resolves.toBeUndefined();
    const controller = new AbortController();
    const longest = sleepUnlessAborted(2 ** 31 - 1, controller.signal);
    controller.abort(new Error('shutdown'));
    await expect(longest).rejects.toThrow('shutdown');
  });
});
