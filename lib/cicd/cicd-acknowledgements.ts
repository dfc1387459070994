/**
 * Acknowledgements shared by the cicd constructs, for findings that are right for every user:
 * the grants the CodeBuild L2 adds to a project's role. Each names one resource, never a rule
 * family.
 */
import { Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import { acknowledgeWildcardAction, acknowledgeWildcardResource } from '../core/acknowledge';
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
