import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ResilientNetwork, SelfHealingInstance, SelfHealingInstanceProps, SelfHealingMode } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addSelfHealingInstanceExamples } from '../../examples/resilience/self-healing-instance';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

const ENV = { account: '444444444444', region: 'eu-west-1' };
const ZONES = ['eu-west-1a', 'eu-west-1b'];

type Props = Omit<SelfHealingInstanceProps, 'vpc'>;
const BASE: Props = { instanceType: new ec2.InstanceType('t3.small'), machineImage: ec2.MachineImage.latestAmazonLinux2023() };

function instanceStack(props: Partial<Props> = {}, app: App = new App({ context: cdkJsonContext() })): Stack {
  const stack = new Stack(app, 'Heal', { env: ENV });
  stack.node.setContext(`availability-zones:account=${ENV.account}:region=${ENV.region}`, ZONES);
  const network = new ResilientNetwork(stack, 'Network', { availabilityZones: ZONES });
  new SelfHealingInstance(stack, 'Server', { ...BASE, ...props, vpc: network.vpc });
  return stack;
}

function refusal(...problems: string[]): string {
  return [`Heal/Server: invalid SelfHealingInstance props (${problems.length} problem${problems.length === 1 ? '' : 's'}):`, ...problems.map((p) => `  - ${p}`)].join('\n');
}

describe('RES-2 SelfHealingInstance', () => {
  const app = exampleTestApp();
  const stacks = addSelfHealingInstanceExamples(app, exampleConfig(app));
  app.synth();
  const example = Template.fromStack(stacks.selfHealing);

  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    const report = await expectPermissionsHold(stacksOf(stacks));
    expect(report.edgeKinds['alarm -> SNS topic']).toBe(1);
    expect(report.edgeKinds['EventBridge rule -> sns']).toBe(3);
  });

  test('replace mode: an Auto Scaling group of exactly one instance from the launch template, over both private subnets, with EC2 health checks', () => {
    example.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '1', MaxSize: '1', DesiredCapacity: Match.absent(),
      HealthCheckType: 'EC2', HealthCheckGracePeriod: 300,
      LaunchTemplate: { LaunchTemplateId: { Ref: Match.stringLikeRegexp('^WorkerLaunchTemplate') }, Version: Match.anyValue() },
      VPCZoneIdentifier: [{ Ref: Match.stringLikeRegexp('^NetworkVpcprivateSubnet1') }, { Ref: Match.stringLikeRegexp('^NetworkVpcprivateSubnet2') }],
    });
  });

  test('replace mode: EC2 simplified automatic recovery is set explicitly to disabled, since the group replaces the instance', () => {
    example.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ InstanceType: 't4g.small', MaintenanceOptions: { AutoRecovery: 'disabled' } }),
    });
  });

  test('both modes: IMDSv2 only, an encrypted gp3 root volume, no public address, a security group without ingress', () => {
    const templates = example.findResources('AWS::EC2::LaunchTemplate');
    expect(Object.keys(templates)).toHaveLength(2);
    for (const lt of Object.values(templates)) {
      const data = lt.Properties.LaunchTemplateData;
      expect(data.MetadataOptions).toEqual({ HttpTokens: 'required' });
      expect(data.BlockDeviceMappings).toEqual([{ DeviceName: '/dev/xvda', Ebs: { DeleteOnTermination: true, Encrypted: true, VolumeSize: 30, VolumeType: 'gp3' } }]);
      expect(data.NetworkInterfaces).toBeUndefined();
    }
    const groups = example.findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: Match.stringLikeRegexp('no ingress') } });
    expect(Object.keys(groups)).toHaveLength(2);
    for (const sg of Object.values(groups)) expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    example.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test('the instance role has AmazonSSMManagedInstanceCore only, and only EC2 can assume it', () => {
    example.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })] },
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore']] }],
      Description: Match.stringLikeRegexp('Systems Manager only'),
    });
  });

  test('replace mode: the group\'s terminations and failed launches go to the topic in words', () => {
    example.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.autoscaling'],
        'detail-type': ['EC2 Instance Terminate Successful', 'EC2 Instance Launch Unsuccessful', 'EC2 Instance Terminate Unsuccessful'],
        'detail': { AutoScalingGroupName: [{ Ref: Match.stringLikeRegexp('^WorkerGroupASG') }] },
      },
      Targets: [Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('^AlertsTopic') },
        InputTransformer: Match.objectLike({ InputTemplate: Match.stringLikeRegexp('for instance <detail-EC2InstanceId>. Cause: <detail-Cause>') }),
      })],
    });
  });

  test('recover mode: an instance from its launch template in a private subnet, termination protection on, simplified automatic recovery explicitly on', () => {
    example.hasResourceProperties('AWS::EC2::Instance', {
      LaunchTemplate: { LaunchTemplateId: { Ref: Match.stringLikeRegexp('^LicenseServerLaunchTemplate') }, Version: Match.anyValue() },
      SubnetId: { Ref: Match.stringLikeRegexp('^NetworkVpcprivateSubnet1') },
      DisableApiTermination: true,
    });
    example.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ InstanceType: 'm6i.large', MaintenanceOptions: { AutoRecovery: 'default' } }),
    });
  });

  test('recover mode: StatusCheckFailed_System, Maximum over 1 minute, 2 of 2 periods, recovers the instance and tells the topic', () => {
    example.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/EC2', MetricName: 'StatusCheckFailed_System', Statistic: 'Maximum', Period: 60,
      EvaluationPeriods: 2, DatapointsToAlarm: 2, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: [{ Name: 'InstanceId', Value: { Ref: Match.stringLikeRegexp('^LicenseServerInstance') } }],
      AlarmActions: [
        'arn:aws:automate:eu-west-1:ec2:recover',
        { Ref: Match.stringLikeRegexp('^AlertsTopic') },
      ],
    });
  });

  test('recover mode: AWS Health scheduled changes and recovery outcomes of this instance go to the topic in words', () => {
    const instanceRef = { Ref: Match.stringLikeRegexp('^LicenseServerInstance') };
    example.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.health'], 'detail-type': ['AWS Health Event'], 'resources': [instanceRef],
        'detail': { service: ['EC2'], eventTypeCategory: ['scheduledChange'] },
      },
      Targets: [Match.objectLike({ InputTransformer: Match.objectLike({ InputTemplate: Match.stringLikeRegexp('A retirement stops the instance on that date') }) })],
    });
    example.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.health'], 'detail-type': ['AWS Health Event'], 'resources': [instanceRef],
        'detail': { service: ['EC2'], eventTypeCode: ['AWS_EC2_INSTANCE_AUTO_RECOVERY_SUCCESS', 'AWS_EC2_INSTANCE_AUTO_RECOVERY_FAILURE', 'AWS_EC2_SIMPLIFIED_AUTO_RECOVERY_SUCCESS', 'AWS_EC2_SIMPLIFIED_AUTO_RECOVERY_FAILURE'] },
      },
      Targets: [Match.objectLike({ InputTransformer: Match.objectLike({ InputTemplate: Match.stringLikeRegexp('EC2 instance recovery <detail-eventTypeCode>') }) })],
    });
  });

  test('recover mode: simplifiedAutoRecovery false sets AutoRecovery disabled; sandbox mode turns termination protection off', () => {
    const t = Template.fromStack(instanceStack({ mode: SelfHealingMode.RECOVER, simplifiedAutoRecovery: false },
      new App({ context: { ...cdkJsonContext(), sandbox: true } })));
    t.hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: Match.objectLike({ MaintenanceOptions: { AutoRecovery: 'disabled' } }) });
    t.hasResourceProperties('AWS::EC2::Instance', { DisableApiTermination: false });
  });

  test('replace mode with loadBalancerHealthCheck uses ELB health checks too; a Windows image gets its root device /dev/sda1', () => {
    const t = Template.fromStack(instanceStack({
      loadBalancerHealthCheck: true, healthCheckGracePeriod: Duration.minutes(10), rootVolumeSize: Size.gibibytes(50),
      machineImage: ec2.MachineImage.latestWindows(ec2.WindowsVersion.WINDOWS_SERVER_2022_ENGLISH_FULL_BASE),
    }));
    t.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { HealthCheckType: 'ELB', HealthCheckGracePeriod: 600 });
    t.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: Match.objectLike({ Encrypted: true, VolumeSize: 50 }) }] }),
    });
  });

  test('a newer family passes recover mode once its support is confirmed', () => {
    const t = Template.fromStack(instanceStack({ mode: SelfHealingMode.RECOVER, instanceType: new ec2.InstanceType('m7i.large'), recoverSupportConfirmed: true }));
    t.resourceCountIs('AWS::EC2::Instance', 1);
  });

  test('passes the checks and the permission test on its own in both modes, and the example stack passes the checks', async () => {
    const a = checkedApp();
    const replace = instanceStack({}, a);
    const b = checkedApp();
    const recover = instanceStack({ mode: SelfHealingMode.RECOVER }, b);
    expect(() => synthWithChecks(a)).not.toThrow();
    expect(() => synthWithChecks(b)).not.toThrow();
    const c = checkedApp();
    addSelfHealingInstanceExamples(c, exampleConfig(c));
    expect(() => synthWithChecks(c)).not.toThrow();
    await expectPermissionsHold([replace]);
    await expectPermissionsHold([recover]);
  });

  test('recover mode in sandbox mode (termination protection off so the stack can be destroyed) passes the checks', () => {
    const app = checkedApp({ sandbox: 'true' });
    instanceStack({ mode: SelfHealingMode.RECOVER }, app);
    expect(() => synthWithChecks(app)).not.toThrow();
  });
});

describe('RES-2 SelfHealingInstance refusals', () => {
  test('refuses a bare metal instance type in recover mode', () => {
    expect(() => instanceStack({ mode: SelfHealingMode.RECOVER, instanceType: new ec2.InstanceType('m5.metal') })).toThrow(refusal(
      'instanceType m5.metal is bare metal: the EC2 recover action does not support metal instances (docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-recover.html); use replace mode'));
  });

  test('refuses instance store volumes in recover mode, even when support is "confirmed"', () => {
    for (const type of ['m5d.large', 'i3.large']) {
      expect(() => instanceStack({ mode: SelfHealingMode.RECOVER, instanceType: new ec2.InstanceType(type), recoverSupportConfirmed: true })).toThrow(refusal(
        `instanceType ${type} has instance store volumes: recovery needs EBS-only instances (their instance store data would be lost); use replace mode or a type without instance store`));
    }
  });

  test('refuses a family not listed for the recover action unless its support is confirmed', () => {
    expect(() => instanceStack({ mode: SelfHealingMode.RECOVER, instanceType: new ec2.InstanceType('m7i.large') }))
      .toThrow(/instanceType m7i\.large is not of a family the EC2 User Guide lists for the recover action \(a1, m3, .*\); if `aws ec2 describe-instance-types --instance-types m7i\.large --query 'InstanceTypes\[\]\.AutoRecoverySupported'` returns true, set recoverSupportConfirmed: true, or use replace mode/);
  });

  test('refuses public subnets', () => {
    expect(() => instanceStack({ vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC } })).toThrow(refusal(
      'vpcSubnets must select private subnets only: the instance gets no public address and nothing reaches it from the internet'));
  });

  test('refuses the other mode\'s props, listing each', () => {
    expect(() => instanceStack({ mode: SelfHealingMode.RECOVER, loadBalancerHealthCheck: true, healthCheckGracePeriod: Duration.minutes(1) })).toThrow(refusal(
      'healthCheckGracePeriod applies to replace mode only: a recovered instance is not in an Auto Scaling group',
      'loadBalancerHealthCheck applies to replace mode only: a recovered instance is not in an Auto Scaling group'));
    expect(() => instanceStack({ simplifiedAutoRecovery: true, terminationProtection: true })).toThrow(refusal(
      'simplifiedAutoRecovery applies to recover mode only: the Auto Scaling group replaces the instance; EC2 does not recover instances of a group',
      'terminationProtection applies to recover mode only: the Auto Scaling group replaces the instance; EC2 does not recover instances of a group'));
  });

  test('refuses a root volume size gp3 cannot hold', () => {
    expect(() => instanceStack({ rootVolumeSize: Size.tebibytes(17) })).toThrow(refusal(
      'rootVolumeSize must be a whole number of GiB from 1 to 16384 (gp3), got 17408'));
  });
});
