export * from './appspec';
export * from './server-deployment';
export * from './release-replication-bucket';
export * from './release-pipeline';
