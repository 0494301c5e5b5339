// @ts-check
/**
 * The "N passed, N failed" figures of a Jest run, for .ci/run. Works on numbers only, never on the
 * error objects a test threw (those can be circular, which is what broke `jest --json`).
 *
 * Usage (from .ci/run): node tools/jest/counts.js <counts.json> <jest-output.log> <exit-status>
 * prints one line "N passed, N failed": from the counts file the count reporter wrote, else from
 * Jest's "Tests:" summary line in the log, else "0 passed, 1 failed".
 */
const fs = require('fs');

/**
 * @typedef {{ passed: number; failed: number; crashedSuites: number; source: string }} Counts
 * @typedef {{ numPassingTests?: number; numFailingTests?: number; testExecError?: unknown; failureMessage?: string | null; testResults?: Array<{ status?: string }> }} SuiteResult
 * @typedef {{ testResults?: SuiteResult[]; numPassedTests?: number; numFailedTests?: number; numRuntimeErrorTestSuites?: number; runExecError?: unknown; wasInterrupted?: boolean }} RunResult
 */

/**
 * Passed and failed tests of a run (Jest's AggregatedResult). A suite that failed without a failing
 * test (it crashed on load, a hook outside tests threw, its worker died) counts as one failure.
 * @param {RunResult} results
 * @returns {Counts}
 */
function countResults(results) {
  let passed = 0;
  let failed = 0;
  let crashedSuites = 0;
  const suites = Array.isArray(results.testResults) ? results.testResults : null;
  if (suites) {
    for (const suite of suites) {
      const tests = Array.isArray(suite.testResults) ? suite.testResults : [];
      const p = typeof suite.numPassingTests === 'number' ? suite.numPassingTests : tests.filter((t) => t.status === 'passed').length;
      const f = typeof suite.numFailingTests === 'number' ? suite.numFailingTests : tests.filter((t) => t.status === 'failed').length;
      passed += p;
      failed += f;
      if (f === 0 && (suite.testExecError || suite.failureMessage)) {
        crashedSuites += 1;
        failed += 1;
      }
    }
  } else {
    passed = results.numPassedTests ?? 0;
    crashedSuites = results.numRuntimeErrorTestSuites ?? 0;
    failed = (results.numFailedTests ?? 0) + crashedSuites;
  }
  // The run itself failed (global setup threw, or it was interrupted). `success` is not read: Jest
  // sets it only after the reporters ran.
  if (failed === 0 && (results.runExecError || results.wasInterrupted)) failed = 1;
  return { passed, failed, crashedSuites, source: 'reporter' };
}

/**
 * The counts from Jest's printed summary ("Tests: 3 failed, 2 passed, 5 total"), or null when the
 * log has none. Only a lower bound for crashed suites: the line does not say which suites crashed,
 * so failed is at least the number of failed suites.
 * @param {string} text
 * @returns {Counts | null}
 */
function parseSummary(text) {
  // eslint-disable-next-line no-control-regex
  const plain = text.replace(/\u001b\[[0-9;]*m/g, '');
  const lines = plain.split(/\r?\n/);
  const testsLine = lines.filter((l) => /^Tests:\s/.test(l)).pop();
  if (!testsLine) return null;
  const suitesLine = lines.filter((l) => /^Test Suites:\s/.test(l)).pop() ?? '';
  const num = (/** @type {string} */ line, /** @type {string} */ word) => {
    const m = new RegExp(`(\\d+) ${word}`).exec(line);
    return m ? Number(m[1]) : 0;
  };
  const passed = num(testsLine, 'passed');
  const failed = Math.max(num(testsLine, 'failed'), num(suitesLine, 'failed'));
  return { passed, failed, crashedSuites: 0, source: 'summary line' };
}

/**
 * The final line of .ci/run. A non-zero exit status with no failure counted (typecheck failed, Jest
 * died before its summary) still shows one failure.
 * @param {string} countsFile
 * @param {string} logFile
 * @param {number} status
 * @returns {string}
 */
function finalLine(countsFile, logFile, status) {
  /** @type {Counts | null} */
  let counts = null;
  try {
    const parsed = JSON.parse(fs.readFileSync(countsFile, 'utf8'));
    if (Number.isInteger(parsed.passed) && Number.isInteger(parsed.failed)) counts = parsed;
  } catch {
    // no counts file: fall back to the log
  }
  if (!counts) {
    try {
      counts = parseSummary(fs.readFileSync(logFile, 'utf8'));
    } catch {
      // no log either
    }
  }
  const passed = counts ? counts.passed : 0;
  let failed = counts ? counts.failed : 1;
  if (status !== 0 && failed === 0) failed = 1;
  return `${passed} passed, ${failed} failed`;
}

/** Lines of a failure's message kept under its test's name. */
const MESSAGE_LINES = 6;

/**
 * The failed suites ("FAIL path"), failed tests ("● suite › test") and the first lines of each
 * test's message (up to its code frame or stack), as Jest printed them in a log, in order, each
 * once per suite, at most `limit` names: printed just above the final line, so the tail of a CI log
 * says what failed and how even when long output (the soak's tables) follows the failures.
 * @param {string} text
 * @param {number} [limit]
 * @returns {string[]}
 */
function failedNames(text, limit = 40) {
  // eslint-disable-next-line no-control-regex
  const plain = text.replace(/\u001b\[[0-9;]*m/g, '');
  /** @type {string[]} */
  const lines = [];
  const seen = new Set();
  let names = 0;
  let current = '';
  /** Message lines still to keep for the test named last (0: not in a message). */
  let keep = 0;
  for (const line of plain.split(/\r?\n/)) {
    const suite = /^\s*(?:FAIL|PASS)\s+(?:.*\s)?(\S+\.[cm]?[jt]sx?)\b/.exec(line);
    const test = /^\s+● (.+\S)\s*$/.exec(line);
    if (suite || test) keep = 0;
    if (suite && !/^\s*FAIL/.test(line)) continue;
    if (suite) current = suite[1];
    const name = suite ? `FAIL ${suite[1]}` : test && test[1] !== 'Console' ? `  ● ${test[1]}` : null;
    // Jest prints a failure once in the suite's report and again in the summary: count it once per suite.
    if (name && !seen.has(`${current}\n${name}`)) {
      seen.add(`${current}\n${name}`);
      names += 1;
      if (names <= limit) lines.push(name);
      if (test) keep = MESSAGE_LINES;
      continue;
    }
    if (keep === 0 || line.trim() === '') continue;
    // the code frame ("> 157 |", "    |") or the stack ends the message
    if (/^\s*>?\s*\d*\s+\|/.test(line) || /^\s+at\s/.test(line)) {
      keep = 0;
      continue;
    }
    if (names <= limit) lines.push(`      ${line.trim().slice(0, 200)}`);
    keep -= 1;
  }
  if (names > limit) lines.push(`  … and ${names - limit} more`);
  return lines;
}

module.exports = { countResults, parseSummary, finalLine, failedNames };

if (require.main === module) {
  const [countsFile, logFile, status] = process.argv.slice(2);
  let names = [];
  try {
    names = failedNames(fs.readFileSync(logFile ?? '', 'utf8'));
  } catch {
    // no log: the final line alone
  }
  if (names.length > 0) console.log(['failed:', ...names].join('\n'));
  console.log(finalLine(countsFile ?? '', logFile ?? '', Number(status ?? 1)));
}
