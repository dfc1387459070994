export * from './audit-trail';
export * from './key-monitoring';
export * from './service-limit-monitoring';
export * from './service-quota';
export * from './api-cache-size';
export * from './api-observability';
export * from './access-log-analytics';
export * from './instance-metrics';
