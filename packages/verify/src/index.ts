// The verify API: `import { verify } from '@devops-patterns/cdk-reference-verify'`.
// A package of its own, apart from the construct library: it needs the AWS SDK clients at run
// time, which no construct user needs, and its types (unions, functions) are plain TypeScript.
export * from './assembly';
export * from './checks';
export * from './clients';
export * from './errors';
export * from './report';
export * from './verify';
export { main, parseArguments, CliArguments, CliEnvironment, USAGE, UsageError } from './cli';
