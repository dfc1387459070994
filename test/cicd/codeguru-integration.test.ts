import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CodeGuruIntegration } from '../../lib';
import { addCodeGuruIntegrationExamples } from '../../examples/cicd/codeguru-integration';
import { exampleConfig } from '../../examples/config';
import { checkedApp, synthWithChecks, exampleTestApp } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

const WORKLOAD = '444444444444';

function examples(context: Record<string, unknown> = {}) {
  const app = exampleTestApp(context);
  const stacks = addCodeGuruIntegrationExamples(app, exampleConfig(app));
  app.synth();
  return stacks;
}

describe('CICD-8 CodeGuruIntegration', () => {
  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    await expectPermissionsHold(stacksOf(stacks));
  });
  const stacks = examples();
  const t = Template.fromStack(stacks.codeGuru);

  test('the profiling group sends anomaly notifications to the encrypted topic', () => {
    t.hasResourceProperties('AWS::CodeGuruProfiler::ProfilingGroup', {
      ProfilingGroupName: 'orders-service',
      AnomalyDetectionNotificationConfiguration: [{ channelUri: { Ref: Match.stringLikeRegexp('^CodeGuruAnomalyNotificationsTopic') } }],
    });
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  test('the application role may publish profiles to this group only, through a managed policy', () => {
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: ['orders-service-task-role'],
      PolicyDocument: { Statement: [{
        Effect: 'Allow',
        Action: ['codeguru-profiler:ConfigureAgent', 'codeguru-profiler:PostAgentProfile'],
        Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CodeGuruProfilingGroup'), 'Arn'] },
      }] },
    });
    t.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('only CodeGuru Profiler\'s service-linked role of this account may use the topic key, through SNS', () => {
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Sid: 'AllowCodeGuruProfilerNotifications',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Condition: {
          StringEquals: { 'aws:PrincipalAccount': WORKLOAD, 'kms:ViaService': 'sns.eu-west-1.amazonaws.com' },
          ArnEquals: { 'aws:PrincipalArn': `arn:aws:iam::${WORKLOAD}:role/aws-service-role/codeguru-profiler.amazonaws.com/AWSServiceRoleForCodeGuruProfiler` },
        },
      })]) },
    });
  });

  test('the key policy names the service-linked role (AWSServiceRoleForCodeGuruProfiler), not its managed policy', () => {
    // The role is AWSServiceRoleForCodeGuruProfiler; AWSServiceRoleForCodeGuru-Profiler is the
    // AWS managed policy attached to it. A condition on the policy's name never matches a caller.
    const text = JSON.stringify(t.toJSON());
    expect(text).toContain('role/aws-service-role/codeguru-profiler.amazonaws.com/AWSServiceRoleForCodeGuruProfiler"');
    expect(text).not.toContain('AWSServiceRoleForCodeGuru-Profiler');
  });

  test('no CodeGuru Reviewer association unless asked for', () => {
    t.resourceCountIs('AWS::CodeGuruReviewer::RepositoryAssociation', 0);
  });

  test('sandbox mode leaves no retained resource', () => {
    const resources = Template.fromStack(examples({ sandbox: 'true' }).codeGuru).toJSON().Resources as Record<string, { DeletionPolicy?: string }>;
    expect(Object.entries(resources).filter(([, r]) => r.DeletionPolicy === 'Retain').map(([id]) => id)).toEqual([]);
  });

  test('a topic passed in is used as the notification channel', () => {
    const app = checkedApp();
    const stack = new Stack(app, 'Test', { env: { account: WORKLOAD, region: 'eu-west-1' } });
    const role = new iam.Role(stack, 'App', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    const topicArn = `arn:aws:sns:eu-west-1:${WORKLOAD}:anomalies`;
    new CodeGuruIntegration(stack, 'CodeGuru', { applicationRole: role, notificationTopic: { topicArn } as never });
    Template.fromStack(stack).hasResourceProperties('AWS::CodeGuruProfiler::ProfilingGroup', {
      AnomalyDetectionNotificationConfiguration: [{ channelUri: topicArn }],
    });
  });
});

describe('CICD-8 CodeGuru Reviewer opt-in', () => {
  function optIn(app: App): Stack {
    const stack = new Stack(app, 'Test', { env: { account: WORKLOAD, region: 'eu-west-1' } });
    new CodeGuruIntegration(stack, 'CodeGuru', {
      applicationRole: iam.Role.fromRoleName(stack, 'App', 'app-role'),
      reviewerRepository: codecommit.Repository.fromRepositoryName(stack, 'Repo', 'orders-service'),
    });
    return stack;
  }

  test('the association is created and the construct warns at synth that the service takes no new associations', () => {
    const stack = optIn(new App());
    Annotations.fromStack(stack).hasWarning('/Test/CodeGuru', Match.stringLikeRegexp('creates no new repository associations since 7 November 2025'));
    Template.fromStack(stack).hasResourceProperties('AWS::CodeGuruReviewer::RepositoryAssociation', { Name: 'orders-service', Type: 'CodeCommit' });
  });

  test('with the checks on, the opt-in is never silent: the construct\'s warning is a finding, and CloudFormation\'s maintenance-mode notice, which says the same, is acknowledged on the association', () => {
    const app = checkedApp();
    optIn(app);
    let message = '';
    try {
      synthWithChecks(app);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("Annotation::@devops-patterns/cicd:codeguru-reviewer-closed");
    expect(message).not.toContain('CloudFormation-Validate::W3697');
  });
});
