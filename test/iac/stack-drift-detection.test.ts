import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { ComplianceRule, ConfigCompliance, StackDriftDetection } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addStackDriftDetectionExamples } from '../../examples/iac/stack-drift-detection';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

const ENV = { account: '111111111111', region: 'eu-west-1' };
const EVERY_6_HOURS = scheduler.ScheduleExpression.rate(Duration.hours(6));

function stack(app: App = new App({ context: cdkJsonContext() })): Stack {
  return new Stack(app, 'Drift', { env: ENV });
}

interface Statement { Effect: string; Action: string | string[]; Resource: unknown }

/** The statements of every managed policy of the template, flattened. */
function managedStatements(t: Template): Statement[] {
  return Object.values(t.findResources('AWS::IAM::ManagedPolicy'))
    .flatMap((p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}

describe('IAC-3 StackDriftDetection', () => {
  const app = exampleTestApp();
  const examples = addStackDriftDetectionExamples(app, exampleConfig(app));
  app.synth();
  const example = Template.fromStack(examples.driftDetection);

  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    const report = await expectPermissionsHold(stacksOf(examples));
    expect(report.edgeKinds).toMatchObject({
      'AWS Config drift check -> stacks': 1,
      'Scheduler universal target -> API': 2,
      'EventBridge rule -> sns': 2,
    });
  });

  test('the managed rule cloudformation-stack-drift-detection-check gets its role as cloudformationRoleArn and runs daily besides on changes', () => {
    example.hasResourceProperties('AWS::Config::ConfigRule', {
      Source: { Owner: 'AWS', SourceIdentifier: 'CLOUDFORMATION_STACK_DRIFT_DETECTION_CHECK' },
      InputParameters: { cloudformationRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DriftRuleRole'), 'Arn'] } },
      MaximumExecutionFrequency: 'TwentyFour_Hours',
    });
  });

  test('the rule creates no configuration recorder: it uses the account\'s (Control Tower\'s or SEC-2\'s)', () => {
    example.resourceCountIs('AWS::Config::ConfigurationRecorder', 0);
    example.resourceCountIs('AWS::Config::DeliveryChannel', 0);
  });

  test('only AWS Config of this account can assume the rule\'s role, and it reads with ReadOnlyAccess by default', () => {
    example.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'config.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '444444444444' } } }] },
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/ReadOnlyAccess']] }],
    });
  });

  test('the rule\'s role starts drift detection on the stacks of its own account and region only, and reads the detection status', () => {
    const statements = managedStatements(example);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['cloudformation:DescribeStackResourceDrifts', 'cloudformation:DetectStackDrift', 'cloudformation:DetectStackResourceDrift'],
      Resource: 'arn:aws:cloudformation:eu-west-1:444444444444:stack/*',
    });
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 'cloudformation:DescribeStackDriftDetectionStatus', Resource: '*' });
  });

  test('compliance changes of the rule reach the encrypted topic as a readable message', () => {
    example.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.config'], 'detail-type': ['Config Rules Compliance Change'], 'detail': { configRuleName: [{ Ref: Match.stringLikeRegexp('^DriftRule') }] } },
      Targets: [Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('^DriftNotificationsTopic') },
        InputTransformer: Match.objectLike({ InputTemplate: Match.stringLikeRegexp('CloudFormation stack <detail-resourceId> .* is now <detail-newEvaluationResult-complianceType> for the drift check') }),
      })],
    });
    example.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  });

  test('Scheduler calls DetectStackDrift directly (universal target, no Lambda) for each named stack, every 6 hours', () => {
    for (const name of ['Res8-Network', 'Res10-Snapshots']) {
      example.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(6 hours)',
        Target: { Arn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:::aws-sdk:cloudformation:detectStackDrift']] }, Input: JSON.stringify({ StackName: name }), RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DriftSchedulerRole'), 'Arn'] } },
      });
    }
    example.resourceCountIs('AWS::Lambda::Function', 0);
  });

  test('the Scheduler role may start drift detection on the named stacks only, and only Scheduler of this account assumes it', () => {
    expect(managedStatements(example)).toContainEqual({
      Effect: 'Allow',
      Action: ['cloudformation:DetectStackDrift', 'cloudformation:DetectStackResourceDrift'],
      Resource: ['arn:aws:cloudformation:eu-west-1:444444444444:stack/Res10-Snapshots/*', 'arn:aws:cloudformation:eu-west-1:444444444444:stack/Res8-Network/*'],
    });
    example.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '444444444444' } } }] },
    });
  });

  test('drift found (or a failed detection) on the scheduled stacks reaches the topic through CloudFormation\'s drift events', () => {
    example.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.cloudformation'],
        'detail-type': ['CloudFormation Drift Detection Status Change'],
        'detail': {
          'stack-id': [
            { wildcard: 'arn:*:stack/Res8-Network/*' },
            { wildcard: 'arn:*:stack/Res10-Snapshots/*' },
          ],
          '$or': [{ 'status-details': { 'stack-drift-status': ['DRIFTED'] } }, { 'status-details': { 'detection-status': ['DETECTION_FAILED'] } }],
        },
      },
      Targets: [Match.objectLike({ InputTransformer: Match.objectLike({ InputTemplate: Match.stringLikeRegexp('ended <detail-status-details-detection-status> with drift status') }) })],
    });
  });

  test('with resourceReadActions the roles read with exactly those actions instead of ReadOnlyAccess', () => {
    const s = stack();
    new StackDriftDetection(s, 'Drift', { stackNames: ['orders'], schedule: EVERY_6_HOURS, resourceReadActions: ['s3:GetBucket*', 'sns:GetTopicAttributes'] });
    const t = Template.fromStack(s);
    expect(JSON.stringify(t.findResources('AWS::IAM::Role'))).not.toContain('ReadOnlyAccess');
    const reads = managedStatements(t).filter((st) => st.Resource === '*').map((st) => st.Action);
    // The rule's role also reads the detection status; the Scheduler role only starts detections.
    expect(reads).toEqual(expect.arrayContaining([
      ['cloudformation:DescribeStackDriftDetectionStatus', 's3:GetBucket*', 'sns:GetTopicAttributes'],
      ['s3:GetBucket*', 'sns:GetTopicAttributes'],
    ]));
    expect(reads).toHaveLength(2);
  });

  test('without a schedule: the rule and its notifications only', () => {
    const s = stack();
    const drift = new StackDriftDetection(s, 'Drift');
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::Scheduler::Schedule', 0);
    t.resourceCountIs('AWS::Events::Rule', 1);
    expect(drift.schedulerRole).toBeUndefined();
  });

  test('passes the checks and the permission test on its own', async () => {
    const a = checkedApp();
    const s = stack(a);
    new StackDriftDetection(s, 'Drift', { stackNames: ['orders-prod'], schedule: EVERY_6_HOURS });
    expect(() => synthWithChecks(a)).not.toThrow();
    const report = await expectPermissionsHold(s);
    expect(report.edgeKinds['AWS Config drift check -> stacks']).toBe(1);
    expect(report.edgeKinds['Scheduler universal target -> API']).toBe(1);
  });

  test('passes the checks with exact read actions', () => {
    const a = checkedApp();
    new StackDriftDetection(stack(a), 'Drift', { stackNames: ['orders-prod'], schedule: EVERY_6_HOURS, resourceReadActions: ['s3:GetBucket*', 'ec2:Describe*'] });
    expect(() => synthWithChecks(a)).not.toThrow();
  });
});

describe('IAC-3 StackDriftDetection refusals', () => {
  test('refuses a schedule without stacks', () => {
    expect(() => new StackDriftDetection(stack(), 'Drift', { schedule: EVERY_6_HOURS, stackNames: [] }))
      .toThrow('Drift/Drift: invalid StackDriftDetection props (1 problem):\n  - schedule needs at least one stack in stackNames: Scheduler calls DetectStackDrift for named stacks');
  });

  test('refuses stack names without a schedule', () => {
    expect(() => new StackDriftDetection(stack(), 'Drift', { stackNames: ['orders'] }))
      .toThrow('Drift/Drift: invalid StackDriftDetection props (1 problem):\n  - stackNames are checked on schedule: set schedule too');
  });

  test('refuses names CloudFormation does not allow for a stack', () => {
    expect(() => new StackDriftDetection(stack(), 'Drift', { schedule: EVERY_6_HOURS, stackNames: ['1orders', 'orders_prod', `a${'b'.repeat(128)}`] }))
      .toThrow(/invalid StackDriftDetection props \(3 problems\):\n {2}- stackNames\[0\] must be a CloudFormation stack name \(letters, digits and hyphens, starting with a letter, at most 128 characters\), got "1orders"\n {2}- stackNames\[1\] must be a CloudFormation stack name .*, got "orders_prod"\n {2}- stackNames\[2\] must be/);
  });

  test('refuses a stack listed twice', () => {
    expect(() => new StackDriftDetection(stack(), 'Drift', { schedule: EVERY_6_HOURS, stackNames: ['orders', 'orders'] }))
      .toThrow('Drift/Drift: invalid StackDriftDetection props (1 problem):\n  - stackNames lists a stack more than once');
  });

  test('refuses read actions that are not reads, and an empty list', () => {
    expect(() => new StackDriftDetection(stack(), 'Drift', { resourceReadActions: ['s3:PutBucketPolicy', 'ec2:*'] }))
      .toThrow(/\(2 problems\):\n {2}- resourceReadActions\[0\] must be a read action such as s3:GetBucketPolicy or ec2:Describe\* \(Get, Describe, List or BatchGet\): drift detection only reads, got "s3:PutBucketPolicy"\n {2}- resourceReadActions\[1\] must be a read action/);
    expect(() => new StackDriftDetection(stack(), 'Drift', { resourceReadActions: [] }))
      .toThrow('Drift/Drift: invalid StackDriftDetection props (1 problem):\n  - resourceReadActions must list at least one read action (leave it out for ReadOnlyAccess)');
  });

  test('refuses a second drift rule in the same account and region (SEC-2\'s ConfigCompliance deploys one by default)', () => {
    const app = new App({ context: cdkJsonContext() });
    new StackDriftDetection(stack(app), 'Drift');
    new ConfigCompliance(new Stack(app, 'Config', { env: ENV }), 'Config', { useExistingRecorder: true });
    expect(() => app.synth()).toThrow(/Config\/Config\/CloudformationStackDriftDetectionCheck\/Resource also runs cloudformation-stack-drift-detection-check in account 111111111111, region eu-west-1/);
  });

  test('a ConfigCompliance without the drift rule next to it is fine', () => {
    const app = new App({ context: cdkJsonContext() });
    new StackDriftDetection(stack(app), 'Drift');
    new ConfigCompliance(new Stack(app, 'Config', { env: ENV }), 'Config', { useExistingRecorder: true, rules: [ComplianceRule.S3_BUCKET_SSL_REQUESTS_ONLY] });
    expect(() => app.synth()).not.toThrow();
  });
});
