// Snapshots of a domain's tests live with the domain's suite (test/<domain>.suite.ts), whether
// a file ran inside the suite or on its own (`npx jest test/<domain>/<file>.test.ts`), so both
// ways of running a test read and write the same snapshot file.
// Update snapshots through the suite (`npx jest test/<domain> -u`): `-u` on a single file would
// drop the snapshots of the domain's other files as obsolete.
// Files that run on their own (handlers, the verify command) keep jest's default location.
const path = require('path');

const TEST_DIR = path.join(__dirname, '..');
const SUITE_SNAPSHOTS = path.join(TEST_DIR, '__snapshots__');

function standalone(testPath) {
  const relative = path.relative(TEST_DIR, testPath).split(path.sep);
  return relative[0] === 'verify' || relative.includes('handlers');
}

module.exports = {
  resolveSnapshotPath(testPath, extension) {
    if (standalone(testPath)) {
      return path.join(path.dirname(testPath), '__snapshots__', path.basename(testPath) + extension);
    }
    const domain = path.relative(TEST_DIR, testPath).split(path.sep)[0].replace(/\.suite\.ts$/, '');
    return path.join(SUITE_SNAPSHOTS, `${domain}.suite.ts${extension}`);
  },
  resolveTestPath(snapshotPath, extension) {
    const name = path.basename(snapshotPath, extension);
    if (path.dirname(snapshotPath) === SUITE_SNAPSHOTS) return path.join(TEST_DIR, name);
    return path.join(path.dirname(path.dirname(snapshotPath)), name);
  },
  testPathForConsistencyCheck: path.join(TEST_DIR, 'cicd.suite.ts'),
};
