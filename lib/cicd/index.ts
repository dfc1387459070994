export * from './lambda-canary-release';
