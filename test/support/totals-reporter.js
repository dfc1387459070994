// Prints the test totals as the last line of the run, in the plain form CI reads
// ("12 passed, 0 failed"), and keeps a copy in .test-totals for .ci/run.
const fs = require('fs');
const path = require('path');

class TotalsReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    let line = `${results.numPassedTests} passed, ${failed} failed`;
    if (skipped > 0) line += `, ${skipped} skipped`;
    fs.writeFileSync(path.join(this.rootDir, '.test-totals'), line + '\n');
    process.stdout.write(`\n${line}\n`);
  }
}

module.exports = TotalsReporter;
