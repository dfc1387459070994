export * from './secret-store';
export * from './organization-waf-policy';
