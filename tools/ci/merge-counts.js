/**
 * Sums the per-project counts of `nx run-many -t test -c ci` (each project's Jest run writes
 * .test-results/<project>.counts.json through tools/jest/count-reporter.js) into one counts file
 * (what tools/jest/counts.js prints as the final line of .ci/run). A project whose file is missing
 * (its Jest died before reporting) counts as one failure, and is named.
 *
 *   node tools/ci/merge-counts.js <out> <project>...
 */
const fs = require('fs');
const path = require('path');

const [out, ...projects] = process.argv.slice(2);
const total = { passed: 0, failed: 0, crashedSuites: 0, missing: [] };
for (const project of projects) {
  const file = path.join('.test-results', `${project}.counts.json`);
  try {
    const counts = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (!Number.isInteger(counts.passed) || !Number.isInteger(counts.failed)) throw new Error('not counts');
    total.passed += counts.passed;
    total.failed += counts.failed;
    total.crashedSuites += counts.crashedSuites ?? 0;
  } catch {
    total.failed += 1;
    total.missing.push(project);
  }
}
if (total.missing.length > 0) console.log(`no test counts from ${total.missing.join(', ')} (its Jest run died before reporting): counted as failed`);
fs.writeFileSync(out, `${JSON.stringify(total)}\n`);
