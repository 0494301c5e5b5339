/** Root Jest config: `npm test` runs every project's tests in one run (what .ci/run counts). */
const fs = require('fs');
const path = require('path');

const roots = ['libs', 'apps', 'tools']
  .flatMap((dir) => (fs.existsSync(dir) ? fs.readdirSync(dir).map((name) => path.join(dir, name)) : []))
  .filter((dir) => fs.existsSync(path.join(dir, 'jest.config.js')));

module.exports = {
  projects: roots.map((dir) => `<rootDir>/${dir}`),
  // Redis-heavy suites share two cores; more parallel workers only add contention.
  maxWorkers: process.env.JEST_MAX_WORKERS ?? 2,
  testTimeout: 30000,
  // The count reporter writes the true "N passed, N failed" for .ci/run when JEST_COUNTS_FILE is set.
  reporters: ['default', '<rootDir>/tools/jest/count-reporter.js'],
};
