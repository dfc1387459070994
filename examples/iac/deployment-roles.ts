/**
 * IAC-5 example: in the workload account, the deployment roles, whose service role ARN a second
 * stack imports through a CloudFormation export (`Fn::ImportValue`).
 */
import { App, CfnOutput, Fn, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { acknowledge, DeploymentRoles } from '../../lib';
import { env, ExampleConfig } from '../config';

/** The name of the export that carries the service role's ARN. */
export const SERVICE_ROLE_EXPORT = 'iac5-deployment-service-role-arn';

/** The deployment roles, exporting the service role's ARN. */
export class DeploymentRolesStack extends Stack {
  public readonly roles: DeploymentRoles;

  constructor(scope: Construct, id: string, props: StackProps & { account: string }) {
    super(scope, id, props);
    this.roles = new DeploymentRoles(this, 'Deploy', {
      developers: new iam.AccountPrincipal(props.account),
      deployStatements: [new iam.PolicyStatement({
        actions: ['s3:CreateBucket', 's3:PutBucketPolicy', 's3:PutEncryptionConfiguration', 's3:PutBucketVersioning', 's3:PutBucketPublicAccessBlock', 's3:DeleteBucket'],
        resources: ['arn:aws:s3:::orders-*'],
      })],
      stackNamePatterns: ['orders-*'],
    });
    // This app's own grant, acknowledged by the app: the orders stacks name their buckets orders-<...>.
    const reason = 'The orders stacks create buckets named orders-<environment>-<purpose>, so the deployments are granted bucket setup on that name prefix only.';
    this.roles.serviceRole.acknowledgeWildcardResource('arn:aws:s3:::orders-*', reason);
    acknowledge(this.roles.permissionsBoundary.node.defaultChild!, 'AwsSolutions-IAM5[Resource::arn:aws:s3:::orders-*]', reason);
    new CfnOutput(this, 'ServiceRoleArn', { value: this.roles.serviceRole.roleArn, exportName: SERVICE_ROLE_EXPORT });
  }
}

/** A stack that reads the service role's ARN through the export. */
export class DeploymentConsumerStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    // An import pins the export: the producing stack cannot change or delete it while imported.
    new ssm.StringParameter(this, 'ServiceRoleArn', {
      parameterName: '/orders/deployment/service-role-arn',
      stringValue: Fn.importValue(SERVICE_ROLE_EXPORT),
      description: 'The CloudFormation service role developers deploy the orders stacks with',
    });
  }
}

/** The IAC-5 example stacks, in deployment order. */
export interface DeploymentRolesExamples {
  readonly roles: DeploymentRolesStack;
  readonly consumer: DeploymentConsumerStack;
}

/** Adds the IAC-5 example stacks to `app`. */
export function addDeploymentRolesExamples(app: App, config: ExampleConfig): DeploymentRolesExamples {
  const roles = new DeploymentRolesStack(app, 'Iac5-DeploymentRoles', {
    env: env(config.workloadAccount, config.primaryRegion),
    account: config.workloadAccount,
    description: 'IAC-5 DeploymentRoles: a CloudFormation service role developers may pass only to CloudFormation, with a permissions boundary',
  });
  const consumer = new DeploymentConsumerStack(app, 'Iac5-ExportConsumer', {
    env: env(config.workloadAccount, config.primaryRegion),
    description: 'IAC-5 example: reads the service role ARN through Fn::ImportValue',
  });
  consumer.addStackDependency(roles);
  return { roles, consumer };
}
