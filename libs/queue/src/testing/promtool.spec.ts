import { promtool, PromtoolMissingError } from './promtool';

describe('promtool helper of the tests', () => {
  const saved = process.env.PROMTOOL;
  afterEach(() => {
    if (saved === undefined) delete process.env.PROMTOOL;
    else process.env.PROMTOOL = saved;
  });

  it('a missing promtool fails naming the tool and how to get it, with an error Jest can serialise', () => {
    process.env.PROMTOOL = '/nonexistent/bin/promtool';
    let thrown: unknown;
    try {
      promtool(['--version']);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PromtoolMissingError);
    expect((thrown as Error).message).toMatch(/promtool is not installed.*apt-get install prometheus.*\/nonexistent\/bin\/promtool/);
    expect(() => JSON.stringify(thrown)).not.toThrow();
  });

  it('runs promtool and reports a failing check with its output (promtool is a prerequisite of npm test)', () => {
    expect(promtool(['--version'])).toMatch(/promtool, version \d+/);
    expect(promtool(['check', 'metrics'], { input: '# HELP ok_total Fine.\n# TYPE ok_total counter\nok_total 1\n' })).toBe('');
    expect(() => promtool(['check', 'metrics'], { input: 'bad metric line\n' })).toThrow(/promtool check metrics exited with \d+:\n.*error/is);
  });
});
