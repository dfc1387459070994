export * from './account-baseline';
export * from './deployment-roles';
export * from './stack-drift-detection';
export * from './inline-custom-resource';
export * from './scheduled-and-load-scaling';
export * from './governed-product';
