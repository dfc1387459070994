export * from './account-baseline';
export * from './deployment-roles';
export * from './stack-drift-detection';
export * from './download-source';
export * from './patch-baseline-rules';
export * from './patch-management';
