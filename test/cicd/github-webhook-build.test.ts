import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import { GitHubWebhookBuild } from '../../lib';
import { addGitHubWebhookBuildExamples } from '../../examples/cicd/github-webhook-build';
import { exampleConfig } from '../../examples/config';
import { checkedApp, synthWithChecks, exampleTestApp } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

function examples(context: Record<string, unknown> = {}) {
  const app = exampleTestApp(context);
  const stacks = addGitHubWebhookBuildExamples(app, exampleConfig(app));
  app.synth();
  return stacks;
}

function plainStack() {
  return new Stack(checkedApp(), 'Test', { env: { account: '444444444444', region: 'eu-west-1' } });
}

describe('CICD-3 GitHubWebhookBuild', () => {
  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    await expectPermissionsHold(stacksOf(stacks));
  });
  const stacks = examples();
  const t = Template.fromStack(stacks.webhookBuild);

  test('a GitHub source with a webhook whose filter groups build pushes to the branches and pull requests into main', () => {
    t.hasResourceProperties('AWS::CodeBuild::Project', {
      Source: Match.objectLike({ Type: 'GITHUB', Location: 'https://github.com/devops-patterns/cdk-reference.git', ReportBuildStatus: true }),
      Triggers: {
        Webhook: true,
        FilterGroups: [
          [{ Type: 'EVENT', Pattern: 'PUSH' }, { Type: 'HEAD_REF', Pattern: '^refs/heads/main$' }],
          [{ Type: 'EVENT', Pattern: 'PUSH' }, { Type: 'HEAD_REF', Pattern: '^refs/heads/release/.*$' }],
          [{ Type: 'EVENT', Pattern: 'PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED, PULL_REQUEST_REOPENED' }, { Type: 'BASE_REF', Pattern: '^refs/heads/main$' }],
        ],
      },
    });
  });

  test('the build badge is on and artifacts are encrypted with a customer managed key', () => {
    t.hasResourceProperties('AWS::CodeBuild::Project', {
      BadgeEnabled: true,
      EncryptionKey: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BuildProjectKey'), 'Arn'] },
      Environment: Match.objectLike({ PrivilegedMode: false }),
    });
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('logs go to a KMS-encrypted log group with a retention', () => {
    t.hasResourceProperties('AWS::CodeBuild::Project', {
      LogsConfig: { CloudWatchLogs: { Status: 'ENABLED', GroupName: { Ref: Match.stringLikeRegexp('^BuildProjectLogs') } } },
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365, KmsKeyId: Match.anyValue() });
  });

  test('build state changes reach the encrypted topic through EventBridge', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.codebuild'], 'detail-type': ['CodeBuild Build State Change'], 'detail': { 'project-name': [{ Ref: Match.stringLikeRegexp('^BuildProject') }] } },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^BuildNotificationsTopic') }, InputTransformer: Match.anyValue() })],
    });
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  test('the dashboard shows the Builds, Duration, SucceededBuilds and FailedBuilds metrics of the project', () => {
    const dashboard = Object.values(t.findResources('AWS::CloudWatch::Dashboard'))[0];
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const metric of ['Builds', 'Duration', 'SucceededBuilds', 'FailedBuilds']) {
      expect(body).toContain(`\\"AWS/CodeBuild\\",\\"${metric}\\",\\"ProjectName\\"`);
    }
  });

  test('the project role is a service role with managed-policy grants, no inline policy', () => {
    t.resourceCountIs('AWS::IAM::Policy', 0);
    t.hasResourceProperties('AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'codebuild.amazonaws.com' } })] } });
  });

  test('sandbox mode leaves no retained resource', () => {
    const resources = Template.fromStack(examples({ sandbox: 'true' }).webhookBuild).toJSON().Resources as Record<string, { DeletionPolicy?: string }>;
    expect(Object.entries(resources).filter(([, r]) => r.DeletionPolicy === 'Retain').map(([id]) => id)).toEqual([]);
  });

  test('custom filter groups replace the ones built from branch lists', () => {
    const stack = plainStack();
    new GitHubWebhookBuild(stack, 'Build', {
      owner: 'o', repo: 'r',
      filterGroups: [codebuild.FilterGroup.inEventOf(codebuild.EventAction.PULL_REQUEST_MERGED).andBaseBranchIs('main')],
    });
    synthWithChecks(stack.node.root as never);
    Template.fromStack(stack).hasResourceProperties('AWS::CodeBuild::Project', {
      Triggers: { Webhook: true, FilterGroups: [[{ Type: 'EVENT', Pattern: 'PULL_REQUEST_MERGED' }, { Type: 'BASE_REF', Pattern: 'refs/heads/main' }]] },
    });
  });
});

describe('CICD-3 GitHubWebhookBuild refusals', () => {
  test('refuses a webhook with no filter group', () => {
    expect(() => new GitHubWebhookBuild(plainStack(), 'Build', { owner: 'o', repo: 'r', pushBranches: [], pullRequestBaseBranches: [] }))
      .toThrow(/^Test\/Build: invalid GitHubWebhookBuild props[\s\S]*the webhook has no filter group/);
    expect(() => new GitHubWebhookBuild(plainStack(), 'Build', { owner: 'o', repo: 'r', filterGroups: [] }))
      .toThrow(/the webhook has no filter group/);
  });

  test('refuses an invalid branch regex', () => {
    expect(() => new GitHubWebhookBuild(plainStack(), 'Build', { owner: 'o', repo: 'r', pushBranches: ['release/(.*'] }))
      .toThrow(/pushBranches: "release\/\(\.\*" is not a valid regular expression/);
    expect(() => new GitHubWebhookBuild(plainStack(), 'Build', { owner: 'o', repo: 'r', pullRequestBaseBranches: ['[main'] }))
      .toThrow(/pullRequestBaseBranches: "\[main" is not a valid regular expression/);
  });

  test('refuses an anchored branch expression, which the construct anchors itself', () => {
    expect(() => new GitHubWebhookBuild(plainStack(), 'Build', { owner: 'o', repo: 'r', pushBranches: ['^main$'] }))
      .toThrow(/pushBranches: "\^main\$" must be a branch-name expression without \^, \$ or refs\/heads\//);
  });
});

describe('CICD-3 the build project', () => {
  const stack = plainStack();
  new GitHubWebhookBuild(stack, 'Build', { owner: 'o', repo: 'r' });
  const t = Template.fromStack(stack);

  test('a build runs at most 30 minutes unless buildTimeout says otherwise (the library default)', () => {
    t.hasResourceProperties('AWS::CodeBuild::Project', { TimeoutInMinutes: 30 });
  });

  test('only CodeBuild acting for this account may assume the project role (aws:SourceAccount)', () => {
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({
        Principal: { Service: 'codebuild.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': '444444444444' } },
      })] },
    });
  });

  test('without a buildspec the project reads buildspec.yml from the repository', () => {
    t.hasResourceProperties('AWS::CodeBuild::Project', { Source: Match.objectLike({ BuildSpec: 'buildspec.yml' }) });
  });

  test('the build state message names the build, the project and the status', () => {
    const rule = Object.values(t.findResources('AWS::Events::Rule'))[0];
    const transformer = rule.Properties.Targets[0].InputTransformer;
    expect(transformer.InputPathsMap).toEqual(expect.objectContaining({ 'detail-build-status': '$.detail.build-status' }));
    expect(transformer.InputTemplate).toBe('"Build <detail-build-id> of <detail-project-name> is <detail-build-status>."');
  });
});
