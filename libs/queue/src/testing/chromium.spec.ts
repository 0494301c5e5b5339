import { chromiumPath, ChromiumMissingError } from './chromium';

describe('chromium helper of the tests', () => {
  const saved = process.env.CHROMIUM;
  afterEach(() => {
    if (saved === undefined) delete process.env.CHROMIUM;
    else process.env.CHROMIUM = saved;
  });

  it('a missing chromium fails naming it and how to get it, with an error Jest can serialise', () => {
    process.env.CHROMIUM = '/nonexistent/bin/chromium';
    let thrown: unknown;
    try {
      chromiumPath();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ChromiumMissingError);
    expect((thrown as Error).message).toMatch(/chromium is not installed.*apt-get install chromium.*\/nonexistent\/bin\/chromium/);
    expect(() => JSON.stringify(thrown)).not.toThrow();
  });

  it('finds the installed chromium (a prerequisite of npm test)', () => {
    delete process.env.CHROMIUM;
    expect(chromiumPath()).toMatch(/chromium$/);
  });
});
