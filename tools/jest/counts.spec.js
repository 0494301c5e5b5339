// The counts .ci/run prints: true even when tests throw errors Jest cannot serialise (circular,
// as spawnSync's ENOENT is) and when suites crash instead of failing a test.
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { countResults, parseSummary, finalLine, failedNames } = require('./counts');

const FIXTURES = path.join(__dirname, 'fixtures');
const REPORTER = path.join(__dirname, 'count-reporter.js');

/** Runs Jest on the fixtures in a child process with the count reporter; resolves when it exits. */
function runFixtures(countsFile) {
  const config = { rootDir: FIXTURES, testMatch: ['**/*.fixture.js'], reporters: ['default', REPORTER] };
  const child = spawn(
    process.execPath,
    [require.resolve('jest/bin/jest'), '--config', JSON.stringify(config), '--ci', '--runInBand', '--json', '--outputFile', `${countsFile}.jest.json`],
    {
      env: { ...process.env, JEST_COUNTS_FILE: countsFile, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('count reporter on a real Jest run', () => {
  let dir;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'count-reporter-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('counts passing tests, tests throwing circular errors, a crashed suite and a failing afterAll', async () => {
    const countsFile = path.join(dir, 'counts.json');
    const { code, output } = await runFixtures(countsFile);
    expect(code).not.toBe(0);
    // pass: 2 passed; odd-errors: 2 failed (spawnSync ENOENT, self-referencing error), 1 passed;
    // crash: fails on load (1 failure); after-all: 1 passed, then the suite fails (1 failure).
    expect(JSON.parse(fs.readFileSync(countsFile, 'utf8'))).toEqual({ passed: 4, failed: 4, crashedSuites: 2, source: 'reporter' });
    expect(finalLine(countsFile, '', 1)).toBe('4 passed, 4 failed');
    // Without the counts file the printed summary still gives true passes and at least one failure per failed suite.
    const log = path.join(dir, 'jest.log');
    fs.writeFileSync(log, output);
    expect(finalLine(path.join(dir, 'missing.json'), log, 1)).toBe('4 passed, 3 failed');
    // The lines printed above the final one name every failed suite and test, each once.
    const names = failedNames(output);
    expect(
      names
        .filter((n) => n.startsWith('FAIL '))
        .map((n) => path.basename(n))
        .sort(),
    ).toEqual(['after-all.fixture.js', 'crash.fixture.js', 'odd-errors.fixture.js']);
    expect(names.filter((n) => n.startsWith('  ● ')).length).toBeGreaterThanOrEqual(4);
  }, 120_000);
});

describe('countResults', () => {
  test('reads numbers only: a circular error object in the results does not matter', () => {
    const error = new Error('spawnSync promtool ENOENT');
    error.error = error;
    const results = {
      testResults: [
        { numPassingTests: 3, numFailingTests: 1, failureMessage: 'x', testResults: [{ status: 'failed', failureDetails: [error] }] },
        { numPassingTests: 0, numFailingTests: 0, testExecError: error, failureMessage: 'crashed' },
        { numPassingTests: 5, numFailingTests: 0, failureMessage: null },
      ],
    };
    expect(countResults(results)).toEqual({ passed: 8, failed: 2, crashedSuites: 1, source: 'reporter' });
  });

  test('a run that failed outside any suite (global setup, interrupted) shows one failure', () => {
    expect(countResults({ testResults: [{ numPassingTests: 2, numFailingTests: 0 }], runExecError: { message: 'globalSetup threw' } }).failed).toBe(1);
    expect(countResults({ testResults: [{ numPassingTests: 2, numFailingTests: 0 }], wasInterrupted: true }).failed).toBe(1);
    // success is still false while reporters run (Jest sets it afterwards): not a failure.
    expect(countResults({ testResults: [{ numPassingTests: 2, numFailingTests: 0 }], success: false })).toEqual({
      passed: 2,
      failed: 0,
      crashedSuites: 0,
      source: 'reporter',
    });
  });
});

describe('failedNames', () => {
  test('lists FAIL lines and test headers once, without colours, and caps the list', () => {
    const text =
      '\u001b[31mFAIL\u001b[39m libs/queue/src/a.spec.ts (12 s)\n  ● queue › keeps order\n\n    expect(x)\n  ● queue › keeps order\nPASS libs/b.spec.ts\n';
    expect(failedNames(text)).toEqual(['FAIL libs/queue/src/a.spec.ts', '  ● queue › keeps order', '      expect(x)']);
    const many = Array.from({ length: 5 }, (_, i) => `  ● t${i}`).join('\n');
    expect(failedNames(many, 3)).toEqual(['  ● t0', '  ● t1', '  ● t2', '  … and 2 more']);
    expect(failedNames('PASS x.spec.ts\nTests: 1 passed')).toEqual([]);
  });

  test("keeps a failure's first message lines, up to its code frame or stack", () => {
    const text = [
      'FAIL libs/a.spec.ts',
      '  ● bus › sends',
      '',
      '    expect(received).toEqual(expected) // deep equality',
      '',
      '    - Expected  - 1',
      '    + Received  + 1',
      '',
      '      155 |     const x = 1;',
      '    > 157 |     expect(y).toEqual([0, 0, 0]);',
      '      at Object.<anonymous> (libs/a.spec.ts:157:48)',
      '  ● bus › waits',
      '',
      '    Timed out waiting for: fifty delivered',
      '      at waitFor (libs/t.ts:10:5)',
      'PASS libs/b.spec.ts',
      '    not a message',
    ].join('\n');
    expect(failedNames(text)).toEqual([
      'FAIL libs/a.spec.ts',
      '  ● bus › sends',
      '      expect(received).toEqual(expected) // deep equality',
      '      - Expected  - 1',
      '      + Received  + 1',
      '  ● bus › waits',
      '      Timed out waiting for: fifty delivered',
    ]);
  });
});

describe('finalLine and parseSummary', () => {
  test('parses the summary with colours; nothing to count is a failure', () => {
    const text =
      '\u001b[1mTest Suites: \u001b[22m\u001b[1m\u001b[31m1 failed\u001b[39m\u001b[22m, 3 passed, 4 total\nTests:       \u001b[1m\u001b[31m2 failed\u001b[39m\u001b[22m, 235 passed, 237 total\n';
    expect(parseSummary(text)).toEqual({ passed: 235, failed: 2, crashedSuites: 0, source: 'summary line' });
    expect(parseSummary('Test Suites: 2 failed, 2 total\nTests:       1 passed, 1 total\n')).toEqual({
      passed: 1,
      failed: 2,
      crashedSuites: 0,
      source: 'summary line',
    });
    expect(parseSummary('npm ERR! missing script')).toBeNull();
    expect(finalLine('/nonexistent/counts.json', '/nonexistent/log', 1)).toBe('0 passed, 1 failed');
    const counted = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'count-line-')), 'counts.json');
    fs.writeFileSync(counted, JSON.stringify({ passed: 5, failed: 0, crashedSuites: 0, source: 'reporter' }));
    expect(finalLine(counted, '', 0)).toBe('5 passed, 0 failed');
    // Tests passed but a step failed (typecheck, Jest exiting non-zero): one failure shows.
    expect(finalLine(counted, '', 2)).toBe('5 passed, 1 failed');
    fs.rmSync(path.dirname(counted), { recursive: true, force: true });
    // No counts and no summary: the run did not report, which is a failure whatever the status.
    expect(finalLine('/nonexistent/counts.json', '/nonexistent/log', 0)).toBe('0 passed, 1 failed');
  });
});
