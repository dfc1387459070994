export * from './account-baseline';
export * from './deployment-roles';
