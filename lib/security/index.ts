export * from './guardduty-delegated-admin';
export * from './guardduty-organization';
export * from './config-delegated-admin';
export * from './config-compliance';
export * from './secret-store';
export * from './organization-waf-policy';
