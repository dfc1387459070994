export * from './secure-bucket';
export * from './notification-topic';
export * from './alarm-notification';
export * from './service-role';
export * from './log-group';
export * from './handler-function';
export * from './logged-state-machine';
export * from './custom-resource-provider';
