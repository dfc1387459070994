import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import { ScheduledSnapshots } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addScheduledSnapshotsExamples } from '../../examples/resilience/scheduled-snapshots';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

const ENV = { account: '444444444444', region: 'eu-west-1' };

function stack(app: App = new App({ context: cdkJsonContext() })): Stack {
  return new Stack(app, 'Snap', { env: ENV });
}

describe('RES-10 ScheduledSnapshots', () => {
  const app = exampleTestApp();
  const stacks = addScheduledSnapshotsExamples(app, exampleConfig(app));
  app.synth();
  const example = Template.fromStack(stacks.snapshots);

  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    const report = await expectPermissionsHold(stacksOf(stacks));
    expect(report.edgeKinds).toMatchObject({ 'Data Lifecycle Manager -> snapshots': 1, 'Scheduler universal target -> API': 1 });
  });

  test('a DLM policy snapshots the tagged volumes on the cron schedule, keeps the newest 14 and copies each, encrypted, to the second region', () => {
    example.hasResourceProperties('AWS::DLM::LifecyclePolicy', {
      State: 'ENABLED',
      ExecutionRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SnapshotsLifecycleRole'), 'Arn'] },
      PolicyDetails: {
        PolicyType: 'EBS_SNAPSHOT_MANAGEMENT',
        ResourceTypes: ['VOLUME'],
        TargetTags: [{ Key: 'backup', Value: 'daily' }],
        Schedules: [Match.objectLike({
          CreateRule: { CronExpression: 'cron(0 3 * * ? *)' },
          RetainRule: { Count: 14 },
          CrossRegionCopyRules: [{ Target: 'eu-central-1', Encrypted: true, CopyTags: true, RetainRule: { Interval: 14, IntervalUnit: 'DAYS' } }],
        })],
      },
    });
    example.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'dlm.amazonaws.com' } })] },
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole']] }],
    });
  });

  test('Scheduler calls CreateSnapshot directly (no Lambda) with a role that may snapshot only the named volume and tag the new snapshot', () => {
    example.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 4 * * ? *)',
      Target: Match.objectLike({
        Arn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:::aws-sdk:ec2:createSnapshot']] },
        Input: Match.serializedJson(Match.objectLike({ VolumeId: 'vol-0123456789abcdef0' })),
      }),
    });
    example.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({ Action: 'ec2:CreateSnapshot', Resource: ['arn:aws:ec2:eu-west-1:444444444444:volume/vol-0123456789abcdef0', 'arn:aws:ec2:eu-west-1::snapshot/*'] }),
        Match.objectLike({ Action: 'ec2:CreateTags', Condition: { StringEquals: { 'ec2:CreateAction': 'CreateSnapshot' } } }),
      ]) },
    });
  });

  test('copies encrypted with a key of the other region: the lifecycle role may use that key', () => {
    const s = stack();
    new ScheduledSnapshots(s, 'Snapshots', {
      targetTags: { backup: 'daily' },
      copies: [{ region: 'eu-central-1', encryptionKey: kms.Key.fromKeyArn(s, 'CopyKey', 'arn:aws:kms:eu-central-1:444444444444:key/11111111-2222-3333-4444-555555555555') }],
    });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::DLM::LifecyclePolicy', { PolicyDetails: { Schedules: [Match.objectLike({ CrossRegionCopyRules: [Match.objectLike({ CmkArn: 'arn:aws:kms:eu-central-1:444444444444:key/11111111-2222-3333-4444-555555555555' })] })] } });
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['kms:CreateGrant', 'kms:Encrypt']), Resource: 'arn:aws:kms:eu-central-1:444444444444:key/11111111-2222-3333-4444-555555555555' })]) } });
  });

  test('passes the checks on its own, without direct volumes', () => {
    const a = checkedApp();
    new ScheduledSnapshots(stack(a), 'Snapshots', { targetTags: { backup: 'weekly' }, schedule: events.Schedule.cron({ minute: '0', hour: '2', weekDay: 'SUN' }) });
    expect(() => synthWithChecks(a)).not.toThrow();
  });
});

describe('RES-10 ScheduledSnapshots refusals', () => {
  test('refuses no target tags, a rate schedule, a retain count outside 1-1000 and a copy into the own region, all at once', () => {
    expect(() => new ScheduledSnapshots(stack(), 'Snapshots', {
      targetTags: {},
      schedule: events.Schedule.rate(Duration.hours(12)),
      retainCount: 0,
      copies: [{ region: 'eu-west-1', retainFor: Duration.hours(12) }],
    })).toThrow([
      'Snap/Snapshots: invalid ScheduledSnapshots props (5 problems):',
      '  - targetTags must name at least one tag: a policy without target tags would snapshot nothing',
      '  - retainCount must be between 1 and 1000, got 0',
      '  - schedule must be a cron schedule (Data Lifecycle Manager takes cron expressions only), got rate(12 hours)',
      '  - copies[0].region is the stack\'s own region eu-west-1: a copy belongs in another region',
      '  - copies[0].retainFor must be a whole number of days, at least 1, got 12 hours',
    ].join('\n'));
  });

  test('refuses more than three copy regions and a direct volume id that is not one', () => {
    expect(() => new ScheduledSnapshots(stack(), 'Snapshots', {
      targetTags: { backup: 'daily' },
      copies: ['us-east-1', 'us-west-2', 'eu-central-1', 'ap-southeast-2'].map((region) => ({ region })),
      directVolumeIds: ['volume-1'],
    })).toThrow([
      'Snap/Snapshots: invalid ScheduledSnapshots props (2 problems):',
      '  - copies: Data Lifecycle Manager copies to at most 3 regions per schedule, got 4',
      '  - directVolumeIds[0] must be an EBS volume id (vol-...), got "volume-1"',
    ].join('\n'));
  });
});
