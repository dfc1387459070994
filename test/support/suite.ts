/**
 * Runs the test files of several domains (`test/<domain>/*.test.ts`) inside one jest test file.
 *
 * Jest gives each test file its own module registry, so each file loads aws-cdk-lib, the
 * cdk-nag rule packs and the CloudFormation validation engine again, and V8 optimizes their code
 * again: several seconds of CPU per file, more than most files' own tests. The files stay one per
 * pattern; test/support/shards.js says which domains share a registry, and
 * `npx jest test/<domain>/<file>.test.ts` still runs one file on its own (jest.config.js).
 *
 * Handler tests (`test/<domain>/handlers/`) and the verify command's tests stay separate
 * files: they replace AWS SDK clients with mocks in top-level hooks that must not leak into
 * other files. For the same reason a domain test file may not declare a top-level hook: inside a
 * shard it would run around every other file's tests too.
 */
import * as fs from 'fs';
import * as path from 'path';
import { reuseValidationEngine } from './validation-engine';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { SHARDS } = require('./shards') as { SHARDS: Record<string, string[]> };

const TOP_LEVEL_HOOK = /^(beforeAll|beforeEach|afterAll|afterEach)\s*\(/m;

const TEST_DIR = path.join(__dirname, '..');

/** The `*.test.ts` files of one domain folder, refusing a file with a top-level hook. */
export function domainTestFiles(dir: string): string[] {
  const files = fs.readdirSync(dir).filter((file) => file.endsWith('.test.ts')).sort().map((file) => path.join(dir, file));
  if (files.length === 0) throw new Error(`${dir} has no *.test.ts file`);
  for (const file of files) {
    if (TOP_LEVEL_HOOK.test(fs.readFileSync(file, 'utf8'))) {
      throw new Error(`${file} declares a top-level hook, which would run around the tests of every file in its shard: move it into a describe block`);
    }
  }
  return files;
}

/** Folders of test/ that hold test files but are no domain: the verify command's tests run on their own. */
const STANDALONE = ['verify'];

/** Every domain folder (a folder of test/ with `*.test.ts` files) is in exactly one shard, or its tests would not run. */
export function checkShards(shards: Record<string, string[]>, testDir = TEST_DIR): void {
  const domains = fs.readdirSync(testDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !STANDALONE.includes(entry.name))
    .filter((entry) => fs.readdirSync(path.join(testDir, entry.name)).some((file) => file.endsWith('.test.ts')))
    .map((entry) => entry.name);
  const listed = Object.values(shards).flat();
  const missing = domains.filter((domain) => !listed.includes(domain));
  const twice = listed.filter((domain, i) => listed.indexOf(domain) !== i);
  const unknown = listed.filter((domain) => !domains.includes(domain));
  if (missing.length + twice.length + unknown.length > 0) {
    throw new Error(`test/support/shards.js must list every domain folder once: missing ${JSON.stringify(missing)}, twice ${JSON.stringify(twice)}, no such folder ${JSON.stringify(unknown)}`);
  }
}

/** Runs every test file of the shard's domains (test/support/shards.js) in this registry. */
export function runShard(shard: string): void {
  checkShards(SHARDS);
  const domains = SHARDS[shard];
  if (!domains) throw new Error(`test/support/shards.js has no shard ${shard}`);
  reuseValidationEngine();
  for (const domain of domains) {
    for (const file of domainTestFiles(path.join(TEST_DIR, domain))) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(file);
    }
  }
}
