export * from './replication-destination';
export * from './replicated-bucket';
export * from './resilient-network';
export * from './scaling-policies';
export * from './scheduled-snapshots';
export * from './self-healing-instance';
