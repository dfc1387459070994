export * from './audit-trail';
export * from './key-monitoring';
export * from './access-log-analytics';
