/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  snapshotSerializers: ['<rootDir>/test/support/asset-hash-serializer.ts'],
  reporters: ['default', '<rootDir>/test/support/totals-reporter.js'],
  // One temporary folder per run, removed at the end (every app's cdk.out* lands in it).
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  setupFiles: ['<rootDir>/test/support/quiet-warnings.js'],
  // Synthesizing CDK apps with the checks is CPU-bound; two workers match the CI machine.
  maxWorkers: 2,
  testTimeout: 120000,
};
