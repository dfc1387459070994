export * from './account-baseline';
