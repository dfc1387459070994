export * from './replication-destination';
export * from './replicated-bucket';
