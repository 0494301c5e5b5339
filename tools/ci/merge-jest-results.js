/**
 * Merges the per-project Jest JSON reports of `nx run-many -t test -c ci` (.test-results/<project>.json)
 * into one report of the same shape (.test-results.json, what .ci/run counts). A project whose report
 * is missing (Jest crashed before writing it) counts as one suite that failed to run.
 *
 *   node tools/ci/merge-jest-results.js <out> <project>...
 */
const fs = require('fs');
const path = require('path');

const [out, ...projects] = process.argv.slice(2);
const COUNTS = [
  'numTotalTests',
  'numPassedTests',
  'numFailedTests',
  'numPendingTests',
  'numTodoTests',
  'numTotalTestSuites',
  'numPassedTestSuites',
  'numFailedTestSuites',
  'numPendingTestSuites',
  'numRuntimeErrorTestSuites',
];
const merged = Object.fromEntries(COUNTS.map((key) => [key, 0]));
merged.success = projects.length > 0;
merged.testResults = [];
merged.missing = [];

for (const project of projects) {
  const file = path.join('.test-results', `${project}.json`);
  let report;
  try {
    report = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    merged.missing.push(project);
    merged.numTotalTestSuites += 1;
    merged.numRuntimeErrorTestSuites += 1;
    merged.success = false;
    continue;
  }
  for (const key of COUNTS) merged[key] += report[key] || 0;
  merged.success = merged.success && report.success === true;
  merged.testResults.push(...(report.testResults || []));
}

fs.writeFileSync(out, JSON.stringify(merged));
if (merged.missing.length > 0) console.error(`no Jest report from: ${merged.missing.join(', ')}`);
