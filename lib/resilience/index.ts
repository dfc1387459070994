export * from './not-replicated';
export * from './replication-destination';
export * from './replicated-bucket';
