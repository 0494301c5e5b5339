// @ts-check
/**
 * Jest reporter (beside the default one) that writes the run's counts as a small JSON file when
 * JEST_COUNTS_FILE names one (.ci/run sets it); does nothing otherwise. It writes numbers only, so
 * an odd error a test throws (circular, as spawnSync's ENOENT is) cannot stop it, and it runs
 * before Jest's own --json output is serialised.
 */
const fs = require('fs');
const { countResults } = require('./counts');

class CountReporter {
  /**
   * @param {unknown} _globalConfig
   * @param {{ outputFile?: string }} [options]
   */
  constructor(_globalConfig, options = {}) {
    this.file = options.outputFile ?? process.env.JEST_COUNTS_FILE ?? '';
  }

  /**
   * @param {unknown} _contexts
   * @param {import('./counts').RunResult} results
   */
  onRunComplete(_contexts, results) {
    if (!this.file) return;
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(countResults(results))}\n`);
    fs.renameSync(tmp, this.file);
  }
}

module.exports = CountReporter;
