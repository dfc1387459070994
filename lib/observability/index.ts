export * from './audit-trail';
export * from './key-monitoring';
export * from './container-observability';
