export * from './pull-request-checks';
export * from './github-webhook-build';
export * from './codeguru-integration';
