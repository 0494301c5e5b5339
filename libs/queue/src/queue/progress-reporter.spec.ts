import { InvalidOptionError } from '../errors';
import { MAX_PROGRESS_BYTES, PROGRESS_INTERVAL_MS, ProgressThrottle, progressJson } from './progress-reporter';

describe('progressJson', () => {
  it('accepts finite numbers and small JSON values', () => {
    expect(progressJson(0.5)).toBe('0.5');
    expect(progressJson({ done: 3, of: 4 })).toBe('{"done":3,"of":4}');
    expect(progressJson('encoding')).toBe('"encoding"');
    expect(progressJson(null)).toBe('null');
    expect(progressJson('x'.repeat(MAX_PROGRESS_BYTES - 2))).toHaveLength(MAX_PROGRESS_BYTES);
  });

  it('refuses what is not a finite number or small JSON, naming progress', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const bad of [Number.NaN, -Infinity, undefined, Symbol('s'), () => 1, circular, BigInt(2), 'é'.repeat(MAX_PROGRESS_BYTES / 2)]) {
      expect(() => progressJson(bad)).toThrow(InvalidOptionError);
      try {
        progressJson(bad);
      } catch (error) {
        expect((error as InvalidOptionError).path).toMatch(/^progress(\.self)?$/);
      }
    }
  });

  it('refuses what JSON would change inside a value, naming the place (a nested NaN was written as null)', () => {
    expect(() => progressJson({ done: 3, rate: Number.NaN })).toThrow('progress.rate: expected a finite number (JSON writes NaN as null)');
    expect(() => progressJson({ files: new Set(['a']) })).toThrow(/^progress\.files: expected a plain object or array \(JSON writes a Set as \{\}\)/);
  });
});

describe('ProgressThrottle', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('writes the first value at once, then at most one per interval: the newest of a burst, the last always', async () => {
    const written: string[] = [];
    const throttle = new ProgressThrottle(async (json) => void written.push(json));
    const first = throttle.report('1');
    await first;
    expect(written).toEqual(['1']);
    const burst = ['2', '3', '4'].map((v) => throttle.report(v));
    await jest.advanceTimersByTimeAsync(PROGRESS_INTERVAL_MS - 1);
    expect(written).toEqual(['1']);
    await jest.advanceTimersByTimeAsync(1);
    await Promise.all(burst);
    expect(written).toEqual(['1', '4']);
    // a value after a quiet period is written at once
    await jest.advanceTimersByTimeAsync(PROGRESS_INTERVAL_MS * 5);
    await throttle.report('5');
    expect(written).toEqual(['1', '4', '5']);
  });

  it('writes never overlap: a value given while a write is under way waits for it', async () => {
    const written: string[] = [];
    let finish!: () => void;
    const throttle = new ProgressThrottle((json) => {
      written.push(json);
      return json === '1' ? new Promise<void>((resolve) => (finish = resolve)) : Promise.resolve();
    });
    void throttle.report('1');
    const second = throttle.report('2');
    await jest.advanceTimersByTimeAsync(PROGRESS_INTERVAL_MS * 3);
    expect(written).toEqual(['1']);
    finish();
    await second;
    expect(written).toEqual(['1', '2']);
  });

  it('stop drops the pending value and releases its callers; later reports write nothing', async () => {
    const written: string[] = [];
    const throttle = new ProgressThrottle(async (json) => void written.push(json));
    await throttle.report('1');
    const pending = throttle.report('2');
    throttle.stop();
    await pending;
    await throttle.report('3');
    await jest.advanceTimersByTimeAsync(PROGRESS_INTERVAL_MS * 3);
    expect(written).toEqual(['1']);
  });
});
