export * from './account-baseline';
export * from './deployment-roles';
export * from './inline-custom-resource';
