export * from './audit-trail';
export * from './key-monitoring';
export * from './api-cache-size';
export * from './api-observability';
