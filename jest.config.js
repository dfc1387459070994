// The domains' test files run inside two jest test files, test/shard-<n>.suite.ts (see
// test/support/suite.ts and shards.js: loading aws-cdk-lib and the checks once per worker rather
// than once per file). Naming test files or a domain folder on the command line runs those files
// on their own: `npx jest test/cicd/release-pipeline.test.ts`, `npx jest test/cicd`.
const namedTestFiles = process.argv.slice(2).some((arg) => /\.test\.ts$/.test(arg) || /(^|\/)test\/[a-z]+\/?$/.test(arg));

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: namedTestFiles
    ? ['**/*.test.ts']
    : ['<rootDir>/test/*.suite.ts', '<rootDir>/test/*/handlers/*.test.ts', '<rootDir>/test/verify/*.test.ts'],
  snapshotResolver: '<rootDir>/test/support/snapshot-resolver.js',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  snapshotSerializers: ['<rootDir>/test/support/asset-hash-serializer.ts'],
  reporters: ['default', '<rootDir>/test/support/totals-reporter.js'],
  // One temporary folder per run, removed at the end (every app's cdk.out* lands in it).
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  setupFiles: ['<rootDir>/test/support/quiet-warnings.js', '<rootDir>/test/support/synth-environment.js'],
  // Synthesizing CDK apps with the checks is CPU-bound; two workers match the CI machine.
  maxWorkers: 2,
  testTimeout: 120000,
};
