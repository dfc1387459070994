// Every temporary folder of a test run (each app's cdk.out*, transpiled handlers) goes into one
// folder that is removed when the run ends, so tests leave nothing behind in the temp directory.
// Jest workers start after globalSetup and inherit its environment, so TMPDIR reaches them.
const fs = require('fs');
const os = require('os');
const path = require('path');

const KEY = 'DEVOPS_PATTERNS_TEST_TMPDIR';

async function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devops-patterns-test-'));
  process.env[KEY] = dir;
  process.env.TMPDIR = dir;
}

async function teardown() {
  const dir = process.env[KEY];
  if (dir && path.basename(dir).startsWith('devops-patterns-test-')) fs.rmSync(dir, { recursive: true, force: true });
}

module.exports = { setup, teardown };
