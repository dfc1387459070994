// Writes the test totals in the plain form CI reads ("12 passed, 0 failed") to .test-totals;
// global-teardown.js prints them, after every reporter has finished, as the run's last line.
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
  }
}

module.exports = TotalsReporter;
