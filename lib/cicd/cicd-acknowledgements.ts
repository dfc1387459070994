/**
 * Acknowledgements shared by the cicd constructs, for findings that are right for every user:
 * the grants the CodeBuild L2 adds to a project's role, and the custom resource provider
 * framework's function. Each names one resource or one construct, never a rule family.
 */
import { Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as cr from 'aws-cdk-lib/custom-resources';
import { acknowledge, acknowledgeWildcardAction, acknowledgeWildcardResource } from '../core/acknowledge';
import { ServiceRole } from '../core/service-role';

/** The wildcards the CodeBuild L2 grants a project's own role (default log group, report groups, key). */
export function acknowledgeProjectGrants(project: codebuild.IProject, role: ServiceRole, withKey: boolean): void {
  const stack = Stack.of(project);
  const policy = role.grantsPolicy.node.defaultChild!;
  acknowledgeWildcardResource(policy, `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:/aws/codebuild/${project.projectName}:*`,
    'CodeBuild writes build logs to log streams it names per build inside this project\'s own log group, so the grant covers that one log group\'s streams and nothing wider.');
  acknowledgeWildcardResource(policy, `arn:${stack.partition}:codebuild:${stack.region}:${stack.account}:report-group/${project.projectName}-*`,
    'CodeBuild names the test report groups of a project after the project, so this wildcard covers only the report groups of this one project.');
  if (withKey) {
    acknowledgeWildcardAction(policy, 'kms:GenerateDataKey*',
      'The GenerateDataKey variants are granted on the project\'s one encryption key only, which CodeBuild uses to encrypt build artifacts and cache.');
    acknowledgeWildcardAction(policy, 'kms:ReEncrypt*',
      'The ReEncrypt variants are granted on the project\'s one encryption key only, which CodeBuild uses to encrypt build artifacts and cache.');
  }
}

/** The findings on the custom resource provider framework's function and role. */
export function acknowledgeProviderFramework(provider: cr.Provider, frameworkRole: ServiceRole, handler: lambda.IFunction): void {
  acknowledgeWildcardResource(frameworkRole.grantsPolicy.node.defaultChild!, `${handler.functionArn}:*`,
    'The provider framework invokes the one handler function of this custom resource; the wildcard only adds that function\'s versions and aliases.');
  const fn = provider.node.findChild('framework-onEvent').node.defaultChild!;
  acknowledge(fn, 'NIST.800.53.R5-LambdaConcurrency',
    'The provider framework function runs only when CloudFormation creates, updates or deletes this one custom resource, so its concurrency is bounded by stack operations.');
  acknowledge(fn, 'NIST.800.53.R5-LambdaDLQ',
    'The provider framework always answers CloudFormation, with FAILED and the error when the handler fails, and CloudFormation records it in the stack events; a dead-letter queue would only duplicate that record.');
  acknowledge(fn, 'NIST.800.53.R5-LambdaInsideVPC',
    'The provider framework function only calls the Lambda API and the CloudFormation response URL and reaches no resource inside a VPC, so placing it in one would add NAT cost and failure modes without narrowing its access.');
}
