export * from './gateway-cache-refresh';
export * from './managed-auto-scaling-group';
export * from './replicated-bucket';
export * from './replication-destination';
export * from './resilient-network';
export * from './scaling-policies';
export * from './scheduled-snapshots';
export * from './self-healing-instance';
