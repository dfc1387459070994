// Which domains' test files run together in one jest test file (test/shard-<n>.suite.ts).
//
// Jest gives each test file its own module registry: aws-cdk-lib, the rule packs and the
// CloudFormation validation engine load again and V8 compiles and optimizes their code again,
// about 8-10 s of CPU per registry on the CI machine. The domains' test files therefore run in
// two registries, one per jest worker (jest.config.js: maxWorkers 2), balanced by the CPU time
// each domain's tests took in one measured run; the small standalone files (handlers, the verify
// command) fill the gaps. Moving a domain to the other shard moves its snapshots: run `npx jest -u`.
module.exports = {
  SHARDS: {
    1: ['core', 'resilience', 'security', 'response', 'observability'],
    2: ['cicd', 'iac', 'examples'],
  },
  /** The shard a domain's test files run in. */
  shardOf(domain) {
    for (const [shard, domains] of Object.entries(module.exports.SHARDS)) {
      if (domains.includes(domain)) return shard;
    }
    return undefined;
  },
};
