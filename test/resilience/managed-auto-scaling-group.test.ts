import { App, Duration, Stack, Tags } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ManagedAutoScalingGroup, ManagedAutoScalingGroupProps, ManagedUpdatePolicy, ResilientNetwork } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addManagedAutoScalingGroupExamples } from '../../examples/resilience/managed-auto-scaling-group';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';
import { stateMachineDefinition } from '../support/state-machine-definition';

const ENV = { account: '444444444444', region: 'eu-west-1' };
const ZONES = ['eu-west-1a', 'eu-west-1b'];

type Props = Omit<ManagedAutoScalingGroupProps, 'vpc'>;
const BASE: Props = { instanceType: new ec2.InstanceType('t3.small'), machineImage: ec2.MachineImage.latestAmazonLinux2023() };

function groupStack(props: Partial<Props> = {}, app: App = new App({ context: cdkJsonContext() })): Stack {
  const stack = new Stack(app, 'Asg', { env: ENV });
  stack.node.setContext(`availability-zones:account=${ENV.account}:region=${ENV.region}`, ZONES);
  const network = new ResilientNetwork(stack, 'Network', { availabilityZones: ZONES });
  new ManagedAutoScalingGroup(stack, 'Group', { ...BASE, ...props, vpc: network.vpc });
  return stack;
}

function refusal(...problems: string[]): string {
  return [`Asg/Group: invalid ManagedAutoScalingGroup props (${problems.length} problem${problems.length === 1 ? '' : 's'}):`, ...problems.map((p) => `  - ${p}`)].join('\n');
}

function userDataOf(template: Template, idPart: string): string {
  const lt = Object.entries(template.findResources('AWS::EC2::LaunchTemplate')).find(([id]) => id.includes(idPart))![1];
  const data = lt.Properties.LaunchTemplateData.UserData['Fn::Base64'] as string | { 'Fn::Join': [string, unknown[]] };
  if (typeof data === 'string') return data;
  return data['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(data['Fn::Join'][0]);
}

describe('RES-1 ManagedAutoScalingGroup', () => {
  const app = exampleTestApp();
  const stacks = addManagedAutoScalingGroupExamples(app, exampleConfig(app));
  app.synth();
  const example = Template.fromStack(stacks.managedGroups);

  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    const report = await expectPermissionsHold(stacksOf(stacks));
    // Per group: the lifecycle rule starts the workflow through a role; failed launches and
    // stuck workflows go to the topic; the workflow publishes its failures and calls three APIs.
    expect(report.edgeKinds['EventBridge rule -> states']).toBe(2);
    expect(report.edgeKinds['EventBridge rule -> sns']).toBe(4);
    expect(report.edgeKinds['Step Functions task -> SNS topic']).toBe(2);
    expect(report.edgeKinds['Step Functions SDK task -> API']).toBe(6);
    expect(report.edgeKinds['Step Functions SDK task -> Run Command on Auto Scaling instances']).toBe(2);
  });

  test('the lifecycle hooks are declared on the group itself, so the first instances wait too: Pending:Wait abandons, Terminating:Wait continues by default', () => {
    example.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '2', MaxSize: '6',
      LifecycleHookSpecificationList: [
        { LifecycleHookName: 'prepare-before-service', LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING', HeartbeatTimeout: 900, DefaultResult: 'ABANDON' },
        { LifecycleHookName: 'collect-logs-before-termination', LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING', HeartbeatTimeout: 600, DefaultResult: 'CONTINUE' },
      ],
    });
    example.resourceCountIs('AWS::AutoScaling::LifecycleHook', 0);
  });

  test('the launch template: IMDSv2 only, an encrypted gp3 root volume, tags on instances, volumes and network interfaces', () => {
    const s = groupStack();
    const group = s.node.findChild('Group') as ManagedAutoScalingGroup;
    Tags.of(group).add('CostCenter', 'web');
    const t = Template.fromStack(s);
    const tags = Match.arrayWith([{ Key: 'CostCenter', Value: 'web' }]);
    t.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpTokens: 'required' },
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { DeleteOnTermination: true, Encrypted: true, VolumeSize: 30, VolumeType: 'gp3' } }],
        TagSpecifications: [
          { ResourceType: 'instance', Tags: tags },
          { ResourceType: 'volume', Tags: tags },
          { ResourceType: 'network-interface', Tags: tags },
        ],
      }),
    });
  });

  test('an EventBridge rule on this group\'s lifecycle actions of its two hooks starts the workflow', () => {
    example.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.autoscaling'],
        'detail-type': ['EC2 Instance-launch Lifecycle Action', 'EC2 Instance-terminate Lifecycle Action'],
        'detail': { AutoScalingGroupName: [{ Ref: Match.stringLikeRegexp('^WebGroupASG') }], LifecycleHookName: ['prepare-before-service', 'collect-logs-before-termination'] },
      },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^WebLifecycleWork') }, RoleArn: Match.anyValue() })],
    });
  });

  test('the workflow runs the work with Run Command, polls it, completes with CONTINUE, and with the hook\'s failure result (ABANDON for a launch, CONTINUE for a termination) on any failure, then notifies', () => {
    const d = stateMachineDefinition(example, 'WebLifecycleWork');
    const s = d.States;
    expect(s['PrepareBeforeService'].Result).toMatchObject({ what: 'prepare', failureResult: 'ABANDON', executionTimeout: ['900'] });
    expect(s['CollectLogsBeforeTermination'].Result).toMatchObject({ what: 'log collection', failureResult: 'CONTINUE', executionTimeout: ['600'] });
    expect(s['RunCommand'].Resource).toMatch(/:states:::aws-sdk:ssm:sendCommand$/);
    expect(s['RunCommand'].Parameters).toMatchObject({ 'DocumentName': 'AWS-RunShellScript', 'InstanceIds.$': 'States.Array($.detail.EC2InstanceId)' });
    expect(s['RunCommand'].Retry![0].ErrorEquals).toEqual(['Ssm.InvalidInstanceIdException']);
    expect(s['GetCommandInvocation'].Resource).toMatch(/:states:::aws-sdk:ssm:getCommandInvocation$/);
    expect(s['CompleteWithContinue'].Resource).toMatch(/:states:::aws-sdk:autoscaling:completeLifecycleAction$/);
    expect(s['CompleteWithContinue'].Parameters).toMatchObject({ 'LifecycleActionResult': 'CONTINUE', 'LifecycleActionToken.$': '$.detail.LifecycleActionToken' });
    expect(s['CompleteWithFailureResult'].Parameters).toMatchObject({ 'LifecycleActionResult.$': '$.work.failureResult' });
    for (const task of ['RunCommand', 'GetCommandInvocation']) expect(s[task].Catch![0].Next).toBe('CompleteWithFailureResult');
    expect(s['CompleteWithFailureResult'].Next).toBe('NotifyFailure');
    expect(s['NotifyFailure'].Next).toBe('LifecycleWorkFailed');
    expect(JSON.stringify(s['CommandDone?'].Choices)).toContain('"StringEquals":"Success","Next":"CompleteWithContinue"');
  });

  test('the prepare commands and the log copy reach the instance: logs go to the encrypted bucket under instances/<id>/', () => {
    const d = stateMachineDefinition(example, 'WebLifecycleWork');
    expect(d.States['PrepareBeforeService'].Result).toMatchObject({ commands: ['dnf -y upgrade --security', 'dnf -y install nginx', 'systemctl enable --now nginx'] });
    const collect = (d.States['CollectLogsBeforeTermination'].Result as { commands: string[] }).commands.join('\n');
    expect(collect).toContain('tar -czf "$archive" --ignore-failed-read /var/log/nginx /var/log/messages');
    expect(collect).toMatch(/aws s3 cp "\$archive" "s3:\/\/TOKEN\/instances\/\$instance\//);
    example.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } })] },
      LifecycleConfiguration: { Rules: [Match.objectLike({ Id: 'expire-instance-logs', ExpirationInDays: 365 })] },
    });
  });

  test('the instance role may put objects under instances/ of the log bucket and use its key through S3 only', () => {
    example.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^WebInstanceRole') }],
      PolicyDocument: { Statement: Match.arrayWith([
        { Effect: 'Allow', Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^WebLogsBucket'), 'Arn'] }, '/instances/*']] } },
        {
          Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WebLogsKey'), 'Arn'] },
          Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
        },
      ]) },
    });
  });

  test('least privilege: SendCommand on AWS-RunShellScript and on instances tagged with this group only; CompleteLifecycleAction on this group only', () => {
    const policies = example.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^WebLifecycleWorkRole') }] } });
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 'ssm:SendCommand', Resource: 'arn:aws:ssm:eu-west-1::document/AWS-RunShellScript' });
    expect(statements).toContainEqual({
      Effect: 'Allow', Action: 'ssm:SendCommand', Resource: 'arn:aws:ec2:eu-west-1:444444444444:instance/*',
      Condition: { StringEquals: { 'ssm:resourceTag/aws:autoscaling:groupName': { Ref: expect.stringMatching(/^WebGroupASG/) } } },
    });
    expect(statements).toContainEqual({
      Effect: 'Allow', Action: 'autoscaling:CompleteLifecycleAction',
      Resource: { 'Fn::Join': ['', ['arn:aws:autoscaling:eu-west-1:444444444444:autoScalingGroup:*:autoScalingGroupName/', { Ref: expect.stringMatching(/^WebGroupASG/) }]] },
    });
  });

  test('failed launches and terminations of the group go to the topic in words', () => {
    example.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.autoscaling'],
        'detail-type': ['EC2 Instance Launch Unsuccessful', 'EC2 Instance Terminate Unsuccessful'],
        'detail': { AutoScalingGroupName: [{ Ref: Match.stringLikeRegexp('^WebGroupASG') }] },
      },
      Targets: [Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('^AlertsTopic') },
        InputTransformer: Match.objectLike({ InputTemplate: Match.stringLikeRegexp('for instance <detail-EC2InstanceId>. Cause: <detail-Cause>') }),
      })],
    });
    example.resourcePropertiesCountIs('AWS::AutoScaling::AutoScalingGroup', { NotificationConfigurations: Match.anyValue() }, 0);
  });

  test('rolling update with every option and WaitOnResourceSignals, and the creation policy that goes with the signals', () => {
    const groups = example.findResources('AWS::AutoScaling::AutoScalingGroup', { Properties: { MaxSize: '6' } });
    const web = Object.values(groups)[0];
    expect(web.UpdatePolicy.AutoScalingRollingUpdate).toEqual({
      MaxBatchSize: 2, MinInstancesInService: 2, MinSuccessfulInstancesPercent: 100, PauseTime: 'PT30M', WaitOnResourceSignals: true,
      SuspendProcesses: ['HealthCheck', 'ReplaceUnhealthy', 'AZRebalance', 'AlarmNotification', 'ScheduledActions'],
    });
    expect(web.CreationPolicy.ResourceSignal).toEqual({ Count: 2, Timeout: 'PT30M' });
  });

  test('the signal is in the user data: cfn-signal to this group once the instance metadata says InService', () => {
    const userData = userDataOf(example, 'WebLaunchTemplate');
    expect(userData).toContain('meta-data/autoscaling/target-lifecycle-state');
    expect(userData).toContain('InService) rc=0; break');
    expect(userData).toMatch(/cfn-signal -e "\$rc" --stack Res1-ManagedGroups --resource WebGroupASG[0-9A-F]+ --region eu-west-1/);
  });

  test('replacing update (WillReplace) and a warm pool of stopped instances reused on scale in', () => {
    const groups = example.findResources('AWS::AutoScaling::AutoScalingGroup', { Properties: { MaxSize: '4' } });
    const workers = Object.values(groups)[0];
    expect(workers.UpdatePolicy.AutoScalingReplacingUpdate).toEqual({ WillReplace: true });
    expect(workers.UpdatePolicy.AutoScalingRollingUpdate).toBeUndefined();
    example.hasResourceProperties('AWS::AutoScaling::WarmPool', {
      AutoScalingGroupName: { Ref: Match.stringLikeRegexp('^WorkersGroupASG') }, MinSize: 1, PoolState: 'Stopped', InstanceReusePolicy: { ReuseOnScaleIn: true },
    });
    expect(userDataOf(example, 'WorkersLaunchTemplate')).not.toContain('cfn-signal');
  });

  test('the default update policy is rolling, one at a time, keeping min in service (at most max - 1), without signals', () => {
    const t = Template.fromStack(groupStack({ minCapacity: 2, maxCapacity: 2 }));
    const group = Object.values(t.findResources('AWS::AutoScaling::AutoScalingGroup'))[0];
    expect(group.UpdatePolicy.AutoScalingRollingUpdate).toMatchObject({ MaxBatchSize: 1, MinInstancesInService: 1 });
    expect(group.UpdatePolicy.AutoScalingRollingUpdate.WaitOnResourceSignals).toBeFalsy();
    expect(group.CreationPolicy).toBeUndefined();
  });

  test('a hibernated warm pool turns hibernation on in the launch template', () => {
    const t = Template.fromStack(groupStack({ warmPool: { poolState: autoscaling.PoolState.HIBERNATED }, instanceType: new ec2.InstanceType('m5.large') }));
    t.hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: Match.objectLike({ HibernationOptions: { Configured: true } }) });
    t.hasResourceProperties('AWS::AutoScaling::WarmPool', { PoolState: 'Hibernated', MinSize: 0 });
  });

  test('passes the checks and the permission test on its own, and the example stack passes the checks', async () => {
    const a = checkedApp();
    const s = groupStack({}, a);
    expect(() => synthWithChecks(a)).not.toThrow();
    const c = checkedApp();
    addManagedAutoScalingGroupExamples(c, exampleConfig(c));
    expect(() => synthWithChecks(c)).not.toThrow();
    await expectPermissionsHold([s]);
  });
});

describe('RES-1 ManagedAutoScalingGroup refusals', () => {
  test('refuses minCapacity above maxCapacity', () => {
    expect(() => groupStack({ minCapacity: 5, maxCapacity: 3 })).toThrow(refusal('minCapacity (5) must not exceed maxCapacity (3)'));
  });

  test('refuses a warm pool larger than maxCapacity', () => {
    expect(() => groupStack({ maxCapacity: 3, warmPool: { minSize: 4, maxGroupPreparedCapacity: 5 } })).toThrow(refusal(
      'warmPool minSize (4) must not exceed maxCapacity (3)',
      'warmPool maxGroupPreparedCapacity (5) must be from 0 to maxCapacity (3)'));
  });

  test('refuses a rolling update with minInstancesInService of maxCapacity or more', () => {
    expect(() => groupStack({ maxCapacity: 3, updatePolicy: ManagedUpdatePolicy.rolling({ minInstancesInService: 3 }) })).toThrow(refusal(
      'updatePolicy minInstancesInService (3) must be less than maxCapacity (3): CloudFormation could not take any instance out of service to replace it'));
  });

  test('refuses WaitOnResourceSignals without resource signals', () => {
    expect(() => groupStack({ updatePolicy: ManagedUpdatePolicy.rolling({ waitOnResourceSignals: true }) })).toThrow(refusal(
      'updatePolicy waitOnResourceSignals needs resourceSignals: without the signal in the instances\' user data CloudFormation would wait for signals that never come and roll the update back'));
  });

  test('refuses resource signals with a warm pool', () => {
    expect(() => groupStack({ resourceSignals: {}, warmPool: {} })).toThrow(refusal(
      'resourceSignals cannot be used with a warm pool: an instance launched into the warm pool runs its user data once, then stops, so it never signals when it later enters service'));
  });

  test('refuses a hibernated warm pool on a type not listed for hibernation unless confirmed, and on bare metal', () => {
    expect(() => groupStack({ instanceType: new ec2.InstanceType('t4g.small'), warmPool: { poolState: autoscaling.PoolState.HIBERNATED } }))
      .toThrow(/instanceType t4g\.small is not of a family the EC2 User Guide lists for hibernation \(m3, .*\); if .* set warmPool\.hibernationSupportConfirmed: true, or use the Stopped pool state/);
    expect(() => groupStack({ instanceType: new ec2.InstanceType('t4g.small'), warmPool: { poolState: autoscaling.PoolState.HIBERNATED, hibernationSupportConfirmed: true } })).not.toThrow();
    expect(() => groupStack({ instanceType: new ec2.InstanceType('m5.metal'), warmPool: { poolState: autoscaling.PoolState.HIBERNATED } })).toThrow(refusal(
      'instanceType m5.metal is bare metal: hibernation does not support metal instances (docs.aws.amazon.com/AWSEC2/latest/UserGuide/hibernating-prerequisites.html); use the Stopped pool state'));
  });

  test('refuses hook timeouts outside 30 seconds to 2 hours, a pause over an hour, and a Windows image', () => {
    expect(() => groupStack({
      launchTimeout: Duration.hours(3), terminateTimeout: Duration.seconds(10),
      updatePolicy: ManagedUpdatePolicy.rolling({ pauseTime: Duration.hours(2) }),
    })).toThrow(refusal(
      'launchTimeout in seconds must be between 30 and 7200, got 10800',
      'terminateTimeout in seconds must be between 30 and 7200, got 10',
      'updatePolicy pauseTime in seconds must be between 0 and 3600, got 7200'));
    expect(() => groupStack({ machineImage: ec2.MachineImage.latestWindows(ec2.WindowsVersion.WINDOWS_SERVER_2022_ENGLISH_FULL_BASE) })).toThrow(refusal(
      'machineImage must be a Linux image: the lifecycle work runs with the AWS-RunShellScript document'));
  });

  test('refuses a role that does not take the log bucket statements, saying what the role needs', () => {
    const stack = new Stack(new App({ context: cdkJsonContext() }), 'Asg', { env: ENV });
    stack.node.setContext(`availability-zones:account=${ENV.account}:region=${ENV.region}`, ZONES);
    const network = new ResilientNetwork(stack, 'Network', { availabilityZones: ZONES });
    // An IRole may refuse statements (addToPrincipalPolicy returns statementAdded: false).
    const role = iam.Role.fromRoleName(stack, 'Imported', 'fleet');
    role.addToPrincipalPolicy = () => ({ statementAdded: false });
    expect(() => new ManagedAutoScalingGroup(stack, 'Group', { ...BASE, role, vpc: network.vpc })).toThrow(refusal(
      'role cannot take the log bucket statements (an imported role this app cannot change): pass a role this app can change, or give the role s3:PutObject on instances/* of logBucket and kms:GenerateDataKey and kms:Decrypt on its key through S3'));
  });

  test('refuses log paths that are not plain absolute paths (they go into a shell command)', () => {
    expect(() => groupStack({ logPaths: ['/var/log; rm -rf /'] })).toThrow(refusal(
      'logPaths must be absolute paths of letters, digits and . _ - / * only (they go into a shell command), got "/var/log; rm -rf /"'));
  });
});
