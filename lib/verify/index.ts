// The verify API: `import { verify } from '@devops-patterns/cdk-reference/dist/lib/verify'`.
// Not exported from lib/index.ts: its types (unions, functions) are not part of the jsii API.
export * from './assembly';
export * from './checks';
export * from './clients';
export * from './errors';
export * from './report';
export * from './verify';
export { main, parseArguments, CliArguments, CliEnvironment, USAGE, UsageError } from './cli';
