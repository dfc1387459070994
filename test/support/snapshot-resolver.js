// Snapshots of a domain's tests live with the domain's shard (test/shard-<n>.suite.ts, see
// test/support/shards.js), whether a file ran inside the shard or on its own
// (`npx jest test/<domain>/<file>.test.ts`), so both ways of running a test read and write the
// same snapshot file.
// Update snapshots with the whole run (`npx jest -u`): `-u` on a single file would drop the
// snapshots of its shard's other files as obsolete.
// Files that run on their own (handlers, the verify command) keep jest's default location.
const path = require('path');
const { shardOf } = require('./shards');

const TEST_DIR = path.join(__dirname, '..');
const SUITE_SNAPSHOTS = path.join(TEST_DIR, '__snapshots__');

function standalone(testPath) {
  const relative = path.relative(TEST_DIR, testPath).split(path.sep);
  return relative[0] === 'verify' || relative.includes('handlers');
}

/** The shard suite file a test file's snapshots belong to. */
function suiteName(testPath) {
  const first = path.relative(TEST_DIR, testPath).split(path.sep)[0];
  if (first.endsWith('.suite.ts')) return first;
  const shard = shardOf(first);
  if (shard === undefined) throw new Error(`test/support/shards.js puts test/${first} in no shard`);
  return `shard-${shard}.suite.ts`;
}

module.exports = {
  resolveSnapshotPath(testPath, extension) {
    if (standalone(testPath)) {
      return path.join(path.dirname(testPath), '__snapshots__', path.basename(testPath) + extension);
    }
    return path.join(SUITE_SNAPSHOTS, suiteName(testPath) + extension);
  },
  resolveTestPath(snapshotPath, extension) {
    const name = path.basename(snapshotPath, extension);
    if (path.dirname(snapshotPath) === SUITE_SNAPSHOTS) return path.join(TEST_DIR, name);
    return path.join(path.dirname(path.dirname(snapshotPath)), name);
  },
  testPathForConsistencyCheck: path.join(TEST_DIR, 'shard-1.suite.ts'),
};
