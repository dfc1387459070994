import { App, RemovalPolicies } from 'aws-cdk-lib';
import { exampleConfig } from './config';
import { addBeanstalkEnvironmentExamples } from './cicd/beanstalk-environment';
import { addEcsBlueGreenServiceExamples } from './cicd/ecs-blue-green-service';
import { addLambdaCanaryReleaseExamples } from './cicd/lambda-canary-release';
import { addReplicatedBucketExamples } from './resilience/replicated-bucket';

/**
 * Adds every example stack to `app`. Used by `bin/app.ts` and by the tests, so what the tests
 * check is exactly what `cdk synth` builds.
 */
export function addAllExamples(app: App): void {
  const config = exampleConfig(app);
  addReplicatedBucketExamples(app, config);
  addLambdaCanaryReleaseExamples(app, config);
  addEcsBlueGreenServiceExamples(app, config);
  addBeanstalkEnvironmentExamples(app, config);
  if (config.sandbox) {
    // Sandbox: whatever a construct keeps by default (log groups, tables, keys) goes on destroy too.
    RemovalPolicies.of(app).destroy();
  }
}
