export * from './audit-trail';
export * from './key-monitoring';
export * from './log-subscription-pipeline';
