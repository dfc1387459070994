import { App, RemovalPolicies } from 'aws-cdk-lib';
import { exampleConfig } from './config';
import { addReleasePipelineExamples } from './cicd/release-pipeline';
import { addReplicatedBucketExamples } from './resilience/replicated-bucket';

/**
 * Adds every example stack to `app`. Used by `bin/app.ts` and by the tests, so what the tests
 * check is exactly what `cdk synth` builds.
 */
export function addAllExamples(app: App): void {
  const config = exampleConfig(app);
  addReplicatedBucketExamples(app, config);
  addReleasePipelineExamples(app, config);
  if (config.sandbox) {
    // Sandbox: whatever a construct keeps by default (log groups, tables, keys) goes on destroy too.
    RemovalPolicies.of(app).destroy();
  }
}
