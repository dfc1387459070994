export * from './audit-trail';
export * from './key-monitoring';
export * from './service-limit-monitoring';
export * from './service-quota';
