import { capText, RECORDED_MESSAGE_MAX, RECORDED_NAME_MAX, RECORDED_STACK_MAX, recordError } from './error-record';

const MARKER = /… \[truncated (\d+) characters\]$/;

describe('recordError caps what it records', () => {
  it('keeps a short error as it is', () => {
    const error = new TypeError('short');
    expect(recordError(error)).toEqual({ name: 'TypeError', message: 'short', stack: error.stack });
  });

  it('cuts a 5 MB message to 8 KiB and its stack to 16 KiB, each saying how much was cut', () => {
    const size = 5 * 1024 * 1024;
    const recorded = recordError(new Error('x'.repeat(size)));
    expect(recorded.message.length).toBeLessThanOrEqual(RECORDED_MESSAGE_MAX);
    const cut = Number(MARKER.exec(recorded.message)![1]);
    expect(recorded.message.replace(MARKER, '')).toBe('x'.repeat(size - cut));
    expect(recorded.stack!.length).toBeLessThanOrEqual(RECORDED_STACK_MAX);
    expect(recorded.stack).toMatch(/^Error: x+… \[truncated \d+ characters\]$/);
  });

  it('cuts a thrown string, a described value and a name', () => {
    expect(recordError('s'.repeat(100_000)).message).toMatch(/^s+… \[truncated \d+ characters\]$/);
    expect(recordError({ text: 'o'.repeat(100_000) }).message).toMatch(/^\{"text":"o+… \[truncated \d+ characters\]$/);
    const named = new Error('m');
    named.name = 'N'.repeat(10_000);
    expect(recordError(named).name.length).toBeLessThanOrEqual(RECORDED_NAME_MAX);
    expect(recordError(named).name).toMatch(/^N+… \[truncated \d+ characters\]$/);
  });

  it('never throws, also for a value whose fields throw', () => {
    const hostile = new Proxy(new Error('x'), {
      get: () => {
        throw new Error('trap');
      },
    });
    expect(recordError(hostile).message).toMatch(/could not be read/);
  });
});

describe('capText', () => {
  it('leaves text within the limit alone and cuts longer text to at most the limit, counting what it cut', () => {
    expect(capText('abc', 3)).toBe('abc');
    const cut = capText('a'.repeat(1000), 100);
    expect(cut.length).toBeLessThanOrEqual(100);
    expect(cut).toBe(`${'a'.repeat(71)}… [truncated 929 characters]`);
  });

  it('never splits a surrogate pair', () => {
    const text = '😀'.repeat(1000);
    const cut = capText(text, 101);
    expect(cut.replace(MARKER, '')).toMatch(/^(😀)+$/u);
    const removed = Number(MARKER.exec(cut)![1]);
    expect(cut.replace(MARKER, '').length + removed).toBe(text.length);
  });
});
