export * from './audit-trail';
export * from './key-monitoring';
