/**
 * The core blocks every pattern builds on, each on its own small stack. The rule packs run only
 * where a test says so (they are what makes a test slow).
 */
import * as path from 'path';
import { App, Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { addEventNotification, EncryptedLogGroup, NotificationTopic, Sandbox, SecureBucket, SecureBuildProject, ServiceRole, SharedProvider } from '../../lib';
import { PropsCheck } from '../../lib/core/validation';
import { cdkJsonContext, checkedApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold } from '../support/permissions';

const ENV = { account: '111111111111', region: 'eu-west-1' };
const HANDLER_DIR = path.join(__dirname, '..', '..', 'lib', 'security', 'handlers', 'organization-admin');

function stack(context: Record<string, unknown> = {}): Stack {
  return new Stack(new App({ context: { ...cdkJsonContext(), ...context } }), 'Core', { env: ENV });
}

describe('Sandbox', () => {
  test('off by default, on with the sandbox context, and the shared singletons follow the stack whichever construct asks first', () => {
    const kept = stack();
    new EncryptedLogGroup(kept, 'Logs');
    Template.fromStack(kept).hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });

    const s = stack({ sandbox: 'true' });
    new EncryptedLogGroup(s, 'Logs');
    const t = Template.fromStack(s);
    t.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
    t.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
  });

  test('Sandbox.enable turns it on for one stack only', () => {
    const app = new App({ context: cdkJsonContext() });
    const sandboxed = new Stack(app, 'Sandboxed', { env: ENV });
    Sandbox.enable(sandboxed);
    const kept = new Stack(app, 'Kept', { env: ENV });
    expect(Sandbox.isEnabled(sandboxed)).toBe(true);
    expect(Sandbox.isEnabled(kept)).toBe(false);
    expect(Sandbox.removalPolicy(sandboxed)).toBe(RemovalPolicy.DESTROY);
    expect(Sandbox.removalPolicy(kept)).toBe(RemovalPolicy.RETAIN);
  });

  test('refuses a context value that is neither true nor false', () => {
    expect(() => Sandbox.isEnabled(stack({ sandbox: 'yes' })))
      .toThrow('Core: invalid sandbox context props (1 problem):\n  - the "sandbox" context value must be true or false, got "yes"');
  });
});

describe('PropsCheck id checks', () => {
  test('accept valid ids and tokens, refuse the rest with the prop name', () => {
    const s = stack();
    const check = new PropsCheck(s, 'Thing')
      .accountId('adminAccount', '123456789012').accountId('tokenAccount', Aws.ACCOUNT_ID).accountId('badAccount', '1234')
      .organizationId('organizationId', 'o-a1b2c3d4e5').organizationId('badOrg', 'org-1')
      .organizationalUnitId('ou', 'ou-a1b2-c3d4e5f6').organizationalUnitId('badOu', 'ou-1')
      .rootId('root', 'r-ab12').rootId('badRoot', 'root')
      .organizationTarget('target', 'r-ab12').organizationTarget('target2', 'ou-a1b2-c3d4e5f6').organizationTarget('badTarget', '123456789012');
    expect(() => check.throwIfAny()).toThrow([
      'Core: invalid Thing props (5 problems):',
      '  - badAccount must be a 12-digit account id, got "1234"',
      '  - badOrg must be an organization id such as o-a1b2c3d4e5, got "org-1"',
      '  - badOu must be an organizational unit id such as ou-a1b2-c3d4e5f6, got "ou-1"',
      '  - badRoot must be an organization root id such as r-ab12, got "root"',
      '  - badTarget must be an organizational unit id (ou-...) or a root id (r-...), got "123456789012"',
    ].join('\n'));
  });
});

describe('ServiceRole', () => {
  test('creates no policy until the first grant', () => {
    const s = stack();
    new ServiceRole(s, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    Template.fromStack(s).resourceCountIs('AWS::IAM::ManagedPolicy', 0);
  });

  test('splits grants across managed policies before IAM\'s size limit, and acknowledgements cover every part', async () => {
    const s = stack();
    const role = new ServiceRole(s, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    role.acknowledgeWildcardAction('s3:Get*', 'This test grants a wildcard action on purpose to show the acknowledgement reaches every part.');
    for (let i = 0; i < 120; i++) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [`arn:aws:s3:::bucket-number-${i}-with-a-long-name/some/prefix/*`] }));
    }
    const t = Template.fromStack(s);
    const policies = Object.values(t.findResources('AWS::IAM::ManagedPolicy'));
    expect(policies.length).toBeGreaterThan(1);
    expect(role.grantsPolicies).toHaveLength(policies.length);
    for (const p of policies) {
      expect(JSON.stringify(p.Properties.PolicyDocument).replace(/\s/g, '').length).toBeLessThanOrEqual(6144);
      expect(p.Properties.Roles).toEqual([{ Ref: expect.stringMatching(/^Role/) }]);
    }
    // Every grant is there once (the minimizePolicies flag merges statements within a policy).
    expect(policies.flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((st: { Resource: string | string[] }) => st.Resource))).toHaveLength(120);
    // The resolved sizes, as IAM counts them, through the permission test's limit check.
    await expectPermissionsHold(s);
  });
});

describe('SecureBuildProject', () => {
  test('a pipeline project by default: own role for this account only, encrypted logs with retention, customer managed key, timeout; passes the checks', async () => {
    const s = new Stack(checkedApp(), 'Core', { env: ENV });
    const build = new SecureBuildProject(s, 'Tests', {
      description: 'Runs the tests',
      buildSpec: codebuild.BuildSpec.fromObject({ version: '0.2', phases: { build: { commands: ['npm test'] } } }),
    });
    synthWithChecks(s.node.root as App);
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::CodeBuild::Project', {
      Source: { Type: 'CODEPIPELINE' },
      TimeoutInMinutes: 30,
      Environment: Match.objectLike({ ComputeType: 'BUILD_GENERAL1_SMALL', PrivilegedMode: false }),
      EncryptionKey: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TestsKey'), 'Arn'] },
      LogsConfig: { CloudWatchLogs: { Status: 'ENABLED', GroupName: { Ref: Match.stringLikeRegexp('^TestsLogs') } } },
    });
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'codebuild.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '111111111111' } } })] },
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365, KmsKeyId: Match.anyValue() });
    expect(build.project.projectName).toBeDefined();
    await expectPermissionsHold(s);
  });

  test('a source makes it a standalone project, with the timeout given', () => {
    const s = stack();
    new SecureBuildProject(s, 'Build', {
      description: 'Builds on push',
      source: codebuild.Source.gitHub({ owner: 'o', repo: 'r', webhook: true, webhookFilters: [codebuild.FilterGroup.inEventOf(codebuild.EventAction.PUSH)] }),
      buildSpec: codebuild.BuildSpec.fromObject({ version: '0.2' }),
      timeout: Duration.minutes(60),
      badge: true,
    });
    Template.fromStack(s).hasResourceProperties('AWS::CodeBuild::Project', { Source: Match.objectLike({ Type: 'GITHUB' }), BadgeEnabled: true, TimeoutInMinutes: 60 });
  });
});

describe('addEventNotification', () => {
  test('a readable message through an input transformer, and EventBridge may publish and use the key', async () => {
    const s = stack();
    const topic = new NotificationTopic(s, 'Alerts', { publishingServices: [] });
    const rule = new events.Rule(s, 'Rule', { eventPattern: { source: ['aws.codebuild'] } });
    addEventNotification(rule, topic.topic, `Build ${events.EventField.fromPath('$.detail.build-id')} is ${events.EventField.fromPath('$.detail.build-status')}.`);
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({
        InputTransformer: {
          InputPathsMap: { 'detail-build-id': '$.detail.build-id', 'detail-build-status': '$.detail.build-status' },
          InputTemplate: '"Build <detail-build-id> is <detail-build-status>."',
        },
      })],
    });
    await expectPermissionsHold(s);
  });

  test('a plain topic with its own key: the key policy gets the EventBridge statement', () => {
    const s = stack();
    const topic = new sns.Topic(s, 'Topic', { masterKey: new kms.Key(s, 'Key') });
    addEventNotification(new events.Rule(s, 'Rule', { eventPattern: { source: ['aws.s3'] } }), topic, 'Something happened.');
    Template.fromStack(s).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'events.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
    });
  });
});

describe('SharedProvider', () => {
  const props = { resourceType: 'TestThing', handlerDir: HANDLER_DIR, description: 'Does the test thing' };

  test('one provider per stack and resource type, wherever and however often it is asked for', () => {
    const s = stack();
    const a = SharedProvider.of(new SecureBucket(s, 'A').node.scope!, props);
    a.resource(s, 'First', { Kind: 'x' });
    const b = SharedProvider.of(s, props);
    b.resource(s, 'Second', { Kind: 'y' });
    expect(b).toBe(a);
    SharedProvider.of(s, { ...props, resourceType: 'OtherThing' }).resource(s, 'Third', {});
    const t = Template.fromStack(s);
    t.resourceCountIs('Custom::TestThing', 2);
    t.resourceCountIs('Custom::OtherThing', 1);
    // Two providers: a handler and a framework function each.
    t.resourceCountIs('AWS::Lambda::Function', 4);
  });

  test('refuses a second resource of the type that asks for other reserved concurrency', () => {
    const s = stack();
    SharedProvider.of(s, props);
    expect(() => SharedProvider.of(s, { ...props, reservedConcurrentExecutions: 2 }))
      .toThrow('Core: invalid SharedProvider props (1 problem):\n  - reservedConcurrentExecutions is 2 here but not set for the TestThing provider already in stack Core: resources of one type share one provider');
  });

  test('grants go to the handler, with one acknowledgement for APIs without resource-level permissions; passes the checks and the permission test', async () => {
    const s = new Stack(checkedApp(), 'Core', { env: ENV });
    const provider = SharedProvider.of(s, props);
    provider.grant([new iam.PolicyStatement({ actions: ['organizations:ListAccounts'], resources: ['*'] })],
      'organizations:ListAccounts has no resource-level permissions, so the statement must name every resource.');
    provider.resource(s, 'Thing', { Kind: 'x' });
    synthWithChecks(s.node.root as App);
    await expectPermissionsHold(s);
  });
});
