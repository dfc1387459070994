import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import { PullRequestChecks } from '../../lib';
import { addPullRequestChecksExamples } from '../../examples/cicd/pull-request-checks';
import { exampleConfig } from '../../examples/config';
import { checkedApp, synthWithChecks, exampleTestApp } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

const WORKLOAD = '444444444444';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Sid?: string; Condition?: unknown };

/** Every statement of the managed policies attached to the roles whose logical id matches. */
function statementsOf(template: Template, role: RegExp): Statement[] {
  return Object.values(template.findResources('AWS::IAM::ManagedPolicy'))
    .filter((p) => (p.Properties.Roles ?? []).some((r: { Ref: string }) => role.test(r.Ref)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

function codecommitActions(template: Template, role: RegExp): string[] {
  return [...new Set(statementsOf(template, role).flatMap((st) => ([] as string[]).concat(st.Action)).filter((a) => a.startsWith('codecommit:')))].sort();
}

function examples(context: Record<string, unknown> = {}) {
  const app = exampleTestApp(context);
  const stacks = addPullRequestChecksExamples(app, exampleConfig(app));
  app.synth();
  return stacks;
}

function plainStack() {
  const app = checkedApp();
  return new Stack(app, 'Test', { env: { account: WORKLOAD, region: 'eu-west-1' } });
}

describe('CICD-2 PullRequestChecks', () => {
  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    await expectPermissionsHold(stacksOf(stacks));
  });
  const stacks = examples();
  const t = Template.fromStack(stacks.newRepository);
  const existing = Template.fromStack(stacks.existingRepository);

  test('pull request created or source branch updated into main starts the test project through EventBridge, no Lambda', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        'source': ['aws.codecommit'],
        'detail-type': ['CodeCommit Pull Request State Change'],
        'detail': { event: ['pullRequestCreated', 'pullRequestSourceBranchUpdated'], destinationReference: ['refs/heads/main'] },
      }),
      Targets: [Match.objectLike({
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ChecksUnitTests'), 'Arn'] },
        RoleArn: Match.anyValue(),
      })],
    });
  });

  test('the input transformer builds the pull request\'s source commit and passes the pull request ids', () => {
    const rule = Object.values(t.findResources('AWS::Events::Rule', { Properties: { EventPattern: { detail: { event: Match.anyValue() } } } }))[0];
    const transformer = rule.Properties.Targets[0].InputTransformer;
    expect(transformer.InputPathsMap).toEqual({
      'detail-sourceCommit': '$.detail.sourceCommit',
      'detail-pullRequestId': '$.detail.pullRequestId',
      'detail-revisionId': '$.detail.revisionId',
      'detail-destinationCommit': '$.detail.destinationCommit',
    });
    expect(transformer.InputTemplate).toContain('"sourceVersion":<detail-sourceCommit>');
    for (const name of ['PR_ID', 'PR_REVISION_ID', 'PR_SOURCE_COMMIT', 'PR_DESTINATION_COMMIT']) {
      expect(transformer.InputTemplate).toContain(`"name":"${name}"`);
    }
  });

  test('the buildspec runs the tests, then comments on the pull request and sets its approval state', () => {
    const project = Object.values(t.findResources('AWS::CodeBuild::Project'))[0];
    const spec = JSON.parse(project.Properties.Source.BuildSpec);
    expect(spec.phases.install.commands).toEqual(['npm ci']);
    expect(spec.phases.build.commands).toEqual(['npm test']);
    const report = spec.phases.post_build.commands.join('\n');
    expect(report).toContain('aws codecommit post-comment-for-pull-request');
    expect(report).toContain('aws codecommit update-pull-request-approval-state');
    expect(report).toContain('CODEBUILD_BUILD_SUCCEEDING');
    expect(project.Properties.Source.Type).toBe('CODECOMMIT');
    expect(project.Properties.EncryptionKey).toBeDefined();
    expect(project.Properties.LogsConfig.CloudWatchLogs.Status).toBe('ENABLED');
  });

  test('the build role may post comments and set approval state on this repository only (plus GitPull for the source)', () => {
    const actions = codecommitActions(t, /^ChecksUnitTestsRole/);
    expect(actions).toEqual(['codecommit:GitPull', 'codecommit:PostCommentForPullRequest', 'codecommit:UpdatePullRequestApprovalState']);
    for (const statement of statementsOf(t, /^ChecksUnitTestsRole/).filter((st) => JSON.stringify(st.Action).includes('codecommit:'))) {
      expect(statement.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ChecksRepository/), 'Arn'] });
    }
  });

  test('the approval rule template requires one approval from the build role on pull requests into main, associated with the repository', () => {
    const resource = Object.values(t.findResources('Custom::CodeCommitApprovalRuleTemplate'))[0];
    const [, parts] = resource.Properties.TemplateContent['Fn::Join'];
    expect(parts[0]).toContain('"DestinationReferences":["refs/heads/main"]');
    expect(parts[0]).toContain('"NumberOfApprovalsNeeded":1');
    expect(parts[0]).toContain(`arn:aws:sts::${WORKLOAD}:assumed-role/`);
    expect(parts[1].Ref).toMatch(/^ChecksUnitTestsRole/);
    expect(resource.Properties.RepositoryNames).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^ChecksRepository/), 'Name'] }]);
  });

  test('the custom resource handler is a TypeScript handler function with a real delete, run by the provider framework', () => {
    t.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler', Runtime: Match.stringLikeRegexp('^nodejs') });
    const statements = statementsOf(t, /^DevOpsPatternsCodeCommitApprovalRuleTemplateProviderHandlerRole/);
    const templateActions = statements.find((st) => JSON.stringify(st.Action).includes('CreateApprovalRuleTemplate'))!;
    expect(templateActions.Resource).toBe('*');
    const association = statements.find((st) => JSON.stringify(st.Action).includes('AssociateApprovalRuleTemplateWithRepository'))!;
    expect(association.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ChecksRepository/), 'Arn'] });
    expect(codecommitActions(t, /^DevOpsPatternsCodeCommitApprovalRuleTemplateProviderHandlerRole/)).toEqual([
      'codecommit:AssociateApprovalRuleTemplateWithRepository', 'codecommit:CreateApprovalRuleTemplate', 'codecommit:DeleteApprovalRuleTemplate',
      'codecommit:DisassociateApprovalRuleTemplateFromRepository', 'codecommit:UpdateApprovalRuleTemplateContent', 'codecommit:UpdateApprovalRuleTemplateDescription',
    ]);
  });

  test('a new repository sends push events to the encrypted topic through repository triggers', () => {
    t.hasResourceProperties('AWS::CodeCommit::Repository', {
      RepositoryName: 'devops-patterns-service',
      Triggers: [{ Name: 'push-events', DestinationArn: { Ref: Match.stringLikeRegexp('ChecksNotificationsTopic') }, Events: ['updateReference', 'createReference', 'deleteReference'] }],
    });
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'CodeCommitTriggers', Principal: { Service: 'codecommit.amazonaws.com' }, Action: 'sns:Publish' })]) },
    });
  });

  test('an existing repository sends push events to the topic through EventBridge (CloudFormation cannot add triggers to it)', () => {
    existing.resourceCountIs('AWS::CodeCommit::Repository', 0);
    existing.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        'detail-type': ['CodeCommit Repository State Change'],
        'detail': { event: ['referenceCreated', 'referenceUpdated', 'referenceDeleted'] },
      }),
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('ChecksNotificationsTopic') } })],
    });
  });

  test('repository-scoped read-only, power-user and full-access policies; power users cannot change protected branches', () => {
    const policies = Object.values(t.findResources('AWS::IAM::ManagedPolicy'))
      .filter((p) => /CodeCommit repository devops-patterns-service|CodeCommit repository/.test(JSON.stringify(p.Properties.Description)));
    expect(policies).toHaveLength(3);
    for (const policy of policies) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        expect(statement.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ChecksRepository/), 'Arn'] });
        expect(statement.Action).not.toContain('codecommit:*');
      }
    }
    const deny = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]).filter((st) => st.Effect === 'Deny');
    expect(deny).toHaveLength(1);
    expect(deny[0].Sid).toBe('DenyChangesToProtectedBranches');
    expect([...deny[0].Action].sort()).toEqual([
      'codecommit:DeleteBranch', 'codecommit:GitPush', 'codecommit:MergeBranchesByFastForward', 'codecommit:MergeBranchesBySquash',
      'codecommit:MergeBranchesByThreeWay', 'codecommit:MergePullRequestByFastForward', 'codecommit:MergePullRequestBySquash',
      'codecommit:MergePullRequestByThreeWay', 'codecommit:PutFile',
    ]);
    expect(deny[0].Condition).toEqual({
      StringEqualsIfExists: { 'codecommit:References': ['refs/heads/main', 'refs/heads/release'] },
      Null: { 'codecommit:References': 'false' },
    });
    const powerUser = policies.find((p) => JSON.stringify(p.Properties.Description).includes('Day-to-day'))!;
    expect(powerUser.Properties.PolicyDocument.Statement).toContainEqual(expect.objectContaining({ Sid: 'DenyChangesToProtectedBranches' }));
  });

  test('the handler and the provider framework reserve no concurrency unless asked, so the stack deploys in accounts with a low concurrency quota', () => {
    for (const template of [t, existing]) {
      const functions = Object.values(template.findResources('AWS::Lambda::Function'));
      expect(functions).toHaveLength(2);
      expect(functions.map((f) => f.Properties.ReservedConcurrentExecutions)).toEqual([undefined, undefined]);
    }
  });

  test('reservedConcurrentExecutions reserves concurrency for the handler and the provider framework, and passes the checks', () => {
    const stack = plainStack();
    new PullRequestChecks(stack, 'Checks', { repositoryName: 'r', testCommands: ['npm test'], reservedConcurrentExecutions: 2 });
    synthWithChecks(stack.node.root as never);
    const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    expect(functions.map((f) => f.Properties.ReservedConcurrentExecutions)).toEqual([2, 2]);
  });

  test('roles are service roles whose grants are managed policies, never inline', () => {
    t.resourceCountIs('AWS::IAM::Policy', 0);
    existing.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('sandbox mode leaves no retained resource', () => {
    const sandbox = examples({ sandbox: 'true' });
    for (const stack of [sandbox.newRepository, sandbox.existingRepository]) {
      const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { DeletionPolicy?: string }>;
      expect(Object.entries(resources).filter(([, r]) => r.DeletionPolicy === 'Retain').map(([id]) => id)).toEqual([]);
    }
  });
});

describe('CICD-2 PullRequestChecks refusals', () => {
  test('refuses branch protection with an empty protected-branch list', () => {
    expect(() => new PullRequestChecks(plainStack(), 'Checks', { repositoryName: 'r', testCommands: ['npm test'], protectedBranches: [] }))
      .toThrow(/^Test\/Checks: invalid PullRequestChecks props[\s\S]*branchProtection is on but protectedBranches is empty/);
  });

  test('allows an empty protected-branch list when branch protection is off', () => {
    const stack = plainStack();
    new PullRequestChecks(stack, 'Checks', { repositoryName: 'r', testCommands: ['npm test'], protectedBranches: [], branchProtection: false });
    synthWithChecks(stack.node.root as never);
    const deny = Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy', { Properties: { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny' })]) } } });
    expect(Object.keys(deny)).toHaveLength(0);
  });

  test('refuses reserved concurrency that is not a positive whole number', () => {
    expect(() => new PullRequestChecks(plainStack(), 'Checks', { repositoryName: 'r', testCommands: ['npm test'], reservedConcurrentExecutions: 0 }))
      .toThrow('Test/Checks: invalid PullRequestChecks props (1 problem):\n  - reservedConcurrentExecutions must be a positive whole number, got 0');
  });

  test('refuses a build project without a buildspec', () => {
    expect(() => new PullRequestChecks(plainStack(), 'Checks', { repositoryName: 'r' }))
      .toThrow(/the test project has no buildspec: set testCommands \(the commands that run the unit tests\) or buildSpec/);
    expect(() => new PullRequestChecks(plainStack(), 'Checks', { repositoryName: 'r', testCommands: [] }))
      .toThrow(/the test project has no buildspec/);
  });

  test('refuses a buildspec file from the repository, which could not report back', () => {
    expect(() => new PullRequestChecks(plainStack(), 'Checks', { repositoryName: 'r', buildSpec: codebuild.BuildSpec.fromSourceFilename('buildspec.yml') }))
      .toThrow(/buildSpec must be inline/);
  });

  test('refuses both or neither of repository and repositoryName, listing every problem', () => {
    const stack = plainStack();
    const repository = codecommit.Repository.fromRepositoryName(stack, 'Repo', 'r');
    expect(() => new PullRequestChecks(stack, 'Checks', { repository, repositoryName: 'r', protectedBranches: [] }))
      .toThrow(/\(3 problems\)[\s\S]*exactly one of repository[\s\S]*no buildspec[\s\S]*protectedBranches is empty/);
  });

  test('refuses a branch given as a ref', () => {
    expect(() => new PullRequestChecks(plainStack(), 'Checks', { repositoryName: 'r', testCommands: ['make'], targetBranches: ['refs/heads/main'] }))
      .toThrow(/"refs\/heads\/main" is not a branch name/);
  });

  test('an inline buildspec gets the report-back phase merged in', () => {
    const stack = plainStack();
    new PullRequestChecks(stack, 'Checks', {
      repositoryName: 'r',
      buildSpec: codebuild.BuildSpec.fromObject({ version: '0.2', phases: { build: { commands: ['pytest'] }, post_build: { commands: ['echo done'] } } }),
    });
    synthWithChecks(stack.node.root as never);
    const project = Object.values(Template.fromStack(stack).findResources('AWS::CodeBuild::Project'))[0];
    const spec = JSON.parse(project.Properties.Source.BuildSpec);
    expect(spec.phases.build.commands).toEqual(['pytest']);
    expect(spec.phases.post_build.commands[0]).toBe('echo done');
    expect(spec.phases.post_build.commands[1]).toContain('post-comment-for-pull-request');
  });
});

describe('CICD-2 shared pieces', () => {
  test('two PullRequestChecks in one stack share one approval rule template provider (one handler, one framework function)', () => {
    const stack = plainStack();
    new PullRequestChecks(stack, 'A', { repositoryName: 'a', testCommands: ['npm test'] });
    new PullRequestChecks(stack, 'B', { repositoryName: 'b', testCommands: ['npm test'] });
    synthWithChecks(stack.node.root as never);
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::Lambda::Function', 2);
    t.resourceCountIs('Custom::CodeCommitApprovalRuleTemplate', 2);
  });

  test('push events of an existing repository reach the topic as a message a person can read', () => {
    const stack = plainStack();
    new PullRequestChecks(stack, 'Checks', { repository: codecommit.Repository.fromRepositoryName(stack, 'Repo', 'legacy'), testCommands: ['make test'] });
    const t = Template.fromStack(stack);
    const rule = Object.values(t.findResources('AWS::Events::Rule', { Properties: { EventPattern: { 'detail-type': ['CodeCommit Repository State Change'] } } }))[0];
    const transformer = rule.Properties.Targets[0].InputTransformer;
    expect(transformer.InputTemplate).toBe('"<detail-event> of <detail-referenceFullName> in <detail-repositoryName> (commit <detail-commitId>)."');
  });

  test('only CodeBuild acting for this account may assume the test runs\' role (aws:SourceAccount)', () => {
    const stack = plainStack();
    new PullRequestChecks(stack, 'Checks', { repositoryName: 'r', testCommands: ['npm test'] });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({
        Principal: { Service: 'codebuild.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': WORKLOAD } },
      })] },
    });
  });
});
