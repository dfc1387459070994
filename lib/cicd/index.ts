export * from './pull-request-checks';
export * from './github-webhook-build';
