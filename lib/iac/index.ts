export * from './account-baseline';
export * from './deployment-roles';
export * from './stack-drift-detection';
export * from './inline-custom-resource';
export * from './organization-stack-set';
export * from './stack-set-template';
