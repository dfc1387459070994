export * from './pull-request-checks';
