/**
 * CICD-8 example: a profiling group for an existing service role, with anomaly notifications.
 * The CodeGuru Reviewer association is left out: the service takes no new associations since
 * 7 November 2025, and asking for one is reported at synth (see the tests).
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CodeGuruIntegration } from '../../lib';
import { env, ExampleConfig } from '../config';

/** CodeGuru for an application that runs with an existing role. */
export class CodeGuruIntegrationStack extends Stack {
  public readonly codeGuru: CodeGuruIntegration;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    this.codeGuru = new CodeGuruIntegration(this, 'CodeGuru', {
      applicationRole: iam.Role.fromRoleName(this, 'ApplicationRole', 'orders-service-task-role'),
      profilingGroupName: 'orders-service',
    });
  }
}

/** The CICD-8 example stacks. */
export interface CodeGuruIntegrationExamples {
  readonly codeGuru: CodeGuruIntegrationStack;
}

/** Adds the CICD-8 example stacks to `app`. */
export function addCodeGuruIntegrationExamples(app: App, config: ExampleConfig): CodeGuruIntegrationExamples {
  const codeGuru = new CodeGuruIntegrationStack(app, 'Cicd8-CodeGuruIntegration', {
    env: env(config.workloadAccount, config.primaryRegion),
    description: 'CICD-8 CodeGuruIntegration: CodeGuru Profiler with anomaly notifications',
  });
  return { codeGuru };
}
