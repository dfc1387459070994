import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { NotificationTopic, ServerDeployment, ServerRollout } from '../../lib';
import { addReleasePipelineExamples } from '../../examples/cicd/release-pipeline';
import { exampleConfig } from '../../examples/config';
import { checkedApp, synthWithChecks, exampleTestApp } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

const app = exampleTestApp();
const stacks = addReleasePipelineExamples(app, exampleConfig(app));
app.synth();
const inPlace = Template.fromStack(stacks.codeCommitRelease);
const blueGreen = Template.fromStack(stacks.gitHubBlueGreen);

describe('CICD-4 ServerDeployment', () => {
  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    await expectPermissionsHold(stacksOf(stacks));
  });
  test('the deployment group targets the Auto Scaling group, with a custom minimum of 50 % healthy hosts', () => {
    inPlace.hasResourceProperties('AWS::CodeDeploy::DeploymentConfig', {
      MinimumHealthyHosts: { Type: 'FLEET_PERCENT', Value: 50 },
    });
    inPlace.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      AutoScalingGroups: [Match.anyValue()],
      DeploymentConfigName: Match.anyValue(),
    });
  });

  test('alarms stop a deployment and it rolls back on failure and on alarm', () => {
    inPlace.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      AlarmConfiguration: { Enabled: true, Alarms: Match.arrayWith([{ Name: Match.anyValue() }]) },
      AutoRollbackConfiguration: { Enabled: true, Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] },
    });
    const group = Object.values(inPlace.findResources('AWS::CodeDeploy::DeploymentGroup'))[0];
    expect(group.Properties.AlarmConfiguration.Alarms).toHaveLength(3); // 5XX, unhealthy hosts, the added CPU alarm
  });

  test('default alarms: target 5XX responses and unhealthy hosts on the target group, notifying the topic', () => {
    inPlace.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Threshold: 5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold', AlarmActions: [Match.anyValue()],
    });
    inPlace.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApplicationELB', MetricName: 'UnHealthyHostCount', Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold', AlarmActions: [Match.anyValue()],
    });
  });

  test('the example CPU alarm can fire: its 1-minute period matches the detailed monitoring of the instances', () => {
    // Basic monitoring publishes EC2 metrics every 5 minutes, detailed monitoring every minute.
    const lt = Object.values(inPlace.findResources('AWS::EC2::LaunchTemplate'))[0];
    const detailed = lt.Properties.LaunchTemplateData.Monitoring?.Enabled === true;
    const cpu = Object.values(inPlace.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'AWS/EC2', MetricName: 'CPUUtilization' } }));
    expect(cpu).toHaveLength(1);
    expect(cpu[0].Properties.Dimensions).toEqual([{ Name: 'AutoScalingGroupName', Value: expect.anything() }]);
    expect(detailed).toBe(true);
    expect(cpu[0].Properties.Period).toBe(60);
    expect(cpu[0].Properties.Period).toBeGreaterThanOrEqual(detailed ? 60 : 300);
  });

  test('traffic control through the ALB target group, whose health check gates AllowTraffic', () => {
    inPlace.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      LoadBalancerInfo: { TargetGroupInfoList: [{ Name: Match.anyValue() }] },
      DeploymentStyle: { DeploymentOption: 'WITH_TRAFFIC_CONTROL' },
    });
    inPlace.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckEnabled: true, HealthCheckPath: '/', HealthCheckIntervalSeconds: 15,
      HealthyThresholdCount: 2, UnhealthyThresholdCount: 2, Matcher: { HttpCode: '200-399' },
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }]),
    });
    inPlace.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { TargetGroupARNs: [Match.anyValue()] });
  });

  test('blue/green copies the Auto Scaling group and terminates the blue instances after 60 minutes', () => {
    blueGreen.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentStyle: { DeploymentType: 'BLUE_GREEN', DeploymentOption: 'WITH_TRAFFIC_CONTROL' },
      BlueGreenDeploymentConfiguration: {
        GreenFleetProvisioningOption: { Action: 'COPY_AUTO_SCALING_GROUP' },
        DeploymentReadyOption: { ActionOnTimeout: 'CONTINUE_DEPLOYMENT' },
        TerminateBlueInstancesOnDeploymentSuccess: { Action: 'TERMINATE', TerminationWaitTimeInMinutes: 60 },
      },
      LoadBalancerInfo: { TargetGroupInfoList: [Match.anyValue()] },
    });
    blueGreen.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({ Action: ['ec2:CreateTags', 'ec2:RunInstances'], Resource: ['arn:aws:ec2:eu-west-1:444444444444:*', 'arn:aws:ec2:eu-west-1::image/*'] }),
        Match.objectLike({ Action: 'iam:PassRole' }),
      ]) },
    });
  });

  test('deployment and instance state changes go to the SNS topic through EventBridge', () => {
    inPlace.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.codedeploy'],
        'detail-type': ['CodeDeploy Deployment State-change Notification', 'CodeDeploy Instance State-change Notification'],
        'detail': { application: [Match.anyValue()], deploymentGroup: [Match.anyValue()] },
      },
      Targets: [Match.objectLike({ Arn: Match.anyValue(), InputTransformer: Match.anyValue() })],
    });
  });

  test('the CodeDeploy agent is installed over HTTPS with no grant on the instance role', () => {
    const lt = Object.values(inPlace.findResources('AWS::EC2::LaunchTemplate'))[0];
    expect(JSON.stringify(lt.Properties.LaunchTemplateData.UserData)).toContain('aws-codedeploy-eu-west-1.s3.eu-west-1.');
    expect(JSON.stringify(inPlace.toJSON())).not.toContain('arn:aws:s3:::aws-codedeploy-eu-west-1');
  });

  test('the CodeDeploy role trusts CodeDeploy of this account only', () => {
    inPlace.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({
        Principal: { Service: 'codedeploy.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': '444444444444' } },
      })] },
      ManagedPolicyArns: [Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':iam::aws:policy/service-role/AWSCodeDeployRole']) ] })],
    });
  });

  test('tagged EC2 instances with a predefined configuration and no load balancer', () => {
    const a = checkedApp();
    const stack = new Stack(a, 'Tagged', { env: { account: '444444444444', region: 'eu-west-1' } });
    const alarm = new cloudwatch.Alarm(stack, 'Errors', { metric: new cloudwatch.Metric({ namespace: 'App', metricName: 'Errors' }), threshold: 1, evaluationPeriods: 1 });
    const topic = new NotificationTopic(stack, 'Topic');
    alarm.addAlarmAction(new cwActions.SnsAction(topic.topic));
    new ServerDeployment(stack, 'Deployment', {
      ec2InstanceTags: new codedeploy.InstanceTagSet({ app: ['web'] }),
      rollout: ServerRollout.HALF_AT_A_TIME,
      alarms: [alarm],
      notificationTopic: topic.topic,
    });
    synthWithChecks(a);
    Template.fromStack(stack).hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      Ec2TagSet: { Ec2TagSetList: [{ Ec2TagGroup: [{ Key: 'app', Value: 'web', Type: 'KEY_AND_VALUE' }] }] },
      DeploymentConfigName: 'CodeDeployDefault.HalfAtATime',
      AutoRollbackConfiguration: { Enabled: true, Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] },
      LoadBalancerInfo: Match.absent(),
    });
  });
});

describe('CICD-4 ServerDeployment refusals', () => {
  function fixture() {
    const a = checkedApp();
    const stack = new Stack(a, 'S', { env: { account: '444444444444', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { availabilityZones: ['eu-west-1a', 'eu-west-1b'], natGateways: 0 });
    const asg = new autoscaling.AutoScalingGroup(stack, 'Asg', {
      vpc, instanceType: new ec2.InstanceType('t3.micro'), machineImage: ec2.MachineImage.latestAmazonLinux2023(),
    });
    const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc });
    const listener = alb.addListener('L', { port: 80, defaultAction: elbv2.ListenerAction.fixedResponse(404) });
    return { stack, vpc, asg, listener };
  }

  test('refuses blue/green without a load balancer', () => {
    const { stack, asg } = fixture();
    expect(() => new ServerDeployment(stack, 'D', { autoScalingGroups: [asg], blueGreen: {} }))
      .toThrow(/^S\/D: invalid ServerDeployment props \(1 problem\):\n {2}- blue\/green deployments need a load balancer/);
  });

  test('refuses alarm rollback with no alarm', () => {
    const { stack, asg } = fixture();
    expect(() => new ServerDeployment(stack, 'D', { autoScalingGroups: [asg], rollbackOnAlarm: true }))
      .toThrow(/rollbackOnAlarm needs at least one alarm: pass alarms, or loadBalancing for the default alarms/);
  });

  test('refuses alarm rollback when the default alarms are turned off and none is given', () => {
    const { stack, asg, vpc, listener } = fixture();
    expect(() => new ServerDeployment(stack, 'D', { autoScalingGroups: [asg], loadBalancing: { vpc, listener }, defaultAlarms: false, rollbackOnAlarm: true }))
      .toThrow(/rollbackOnAlarm needs at least one alarm/);
  });

  test.each([[-1], [101], [50.5]])('refuses a minimum-healthy-hosts percentage of %d', (value) => {
    const { stack, asg } = fixture();
    expect(() => new ServerDeployment(stack, 'D', { autoScalingGroups: [asg], rollout: ServerRollout.minimumHealthyHostsPercentage(value) }))
      .toThrow(new RegExp(`rollout: the minimum healthy hosts percentage must be a whole number between 0 and 100, got ${value}`));
  });

  test('refuses a negative minimum-healthy-hosts count', () => {
    const { stack, asg } = fixture();
    expect(() => new ServerDeployment(stack, 'D', { autoScalingGroups: [asg], rollout: ServerRollout.minimumHealthyHostsCount(-1) }))
      .toThrow(/^S\/D: invalid ServerDeployment props \(1 problem\):\n {2}- rollout: the minimum healthy hosts count must be a whole number of 0 or more, got -1/);
  });

  test('refuses a blue instance termination wait over 2880 minutes', () => {
    const { stack, asg, vpc, listener } = fixture();
    expect(() => new ServerDeployment(stack, 'D', { autoScalingGroups: [asg], loadBalancing: { vpc, listener }, blueGreen: { terminationWait: Duration.hours(49) } }))
      .toThrow(/blueGreen.terminationWait must be a whole number of minutes between 0 and 2880, got 2940/);
  });

  test('refuses a deployment group with nothing to deploy to, and lists every problem', () => {
    const { stack } = fixture();
    expect(() => new ServerDeployment(stack, 'D', { rollout: ServerRollout.minimumHealthyHostsPercentage(150), max5xxPerMinute: 0 }))
      .toThrow(/\(3 problems\)[\s\S]*no instances to deploy to[\s\S]*between 0 and 100[\s\S]*max5xxPerMinute must be 1 or more/);
  });
});

describe('CICD-4 ServerDeployment with an imported Auto Scaling group', () => {
  test('warns at synth what it cannot do for a group created outside the app, instead of skipping it silently', () => {
    const stack = new Stack(new App(), 'S', { env: { account: '444444444444', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { availabilityZones: ['eu-west-1a', 'eu-west-1b'], natGateways: 0 });
    const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc });
    const listener = alb.addListener('L', { port: 80, defaultAction: elbv2.ListenerAction.fixedResponse(404) });
    const imported = autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Imported', 'web-fleet');
    new ServerDeployment(stack, 'D', { autoScalingGroups: [imported], loadBalancing: { vpc, listener }, blueGreen: {} });
    Annotations.fromStack(stack).hasWarning('/S/D', Match.stringLikeRegexp(
      '^S/Imported is an Auto Scaling group created outside this app: ServerDeployment cannot change it, so it installs no CodeDeploy agent on it, does not attach it to the target group and grants no iam:PassRole'));
  });
});

describe('CICD-4 ServerRollout', () => {
  test('a custom minimum count of healthy hosts becomes a HOST_COUNT deployment configuration of the group', () => {
    const stack = new Stack(new App(), 'S', { env: { account: '444444444444', region: 'eu-west-1' } });
    new ServerDeployment(stack, 'D', { ec2InstanceTags: new codedeploy.InstanceTagSet({ app: ['web'] }), rollout: ServerRollout.minimumHealthyHostsCount(2) });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::CodeDeploy::DeploymentConfig', { MinimumHealthyHosts: { Type: 'HOST_COUNT', Value: 2 } });
    t.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', { DeploymentConfigName: { Ref: Match.stringLikeRegexp('^DDeploymentConfig') } });
  });

  test('defaults to one instance at a time', () => {
    const stack = new Stack(new App(), 'S', { env: { account: '444444444444', region: 'eu-west-1' } });
    new ServerDeployment(stack, 'D', { ec2InstanceTags: new codedeploy.InstanceTagSet({ app: ['web'] }) });
    Template.fromStack(stack).hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', { DeploymentConfigName: 'CodeDeployDefault.OneAtATime' });
  });
});

describe('CICD-4 ServerDeployment blue/green: what goes stale after the first deployment', () => {
  const STALE = /watches the Auto Scaling group S\/Asg by name .* CodeDeploy deploys to a copy of the group under another name and deletes this group/;

  function fixture() {
    const stack = new Stack(new App(), 'S', { env: { account: '444444444444', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { availabilityZones: ['eu-west-1a', 'eu-west-1b'], natGateways: 0 });
    const asg = new autoscaling.AutoScalingGroup(stack, 'Asg', {
      vpc, instanceType: new ec2.InstanceType('t3.micro'), machineImage: ec2.MachineImage.latestAmazonLinux2023(),
    });
    const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc });
    const listener = alb.addListener('L', { port: 80, defaultAction: elbv2.ListenerAction.fixedResponse(404) });
    const cpuByGroupName = new cloudwatch.Metric({
      namespace: 'AWS/EC2', metricName: 'CPUUtilization', dimensionsMap: { AutoScalingGroupName: asg.autoScalingGroupName },
    });
    return { stack, vpc, asg, listener, cpuByGroupName };
  }

  test('blue/green warns at synth when an alarm that stops deployments watches the copied group by name', () => {
    const { stack, vpc, asg, listener, cpuByGroupName } = fixture();
    const alarm = cpuByGroupName.createAlarm(stack, 'Cpu', { threshold: 90, evaluationPeriods: 3 });
    new ServerDeployment(stack, 'D', { autoScalingGroups: [asg], loadBalancing: { vpc, listener }, blueGreen: {}, alarms: [alarm] });
    Annotations.fromStack(stack).hasWarning('/S/D', Match.stringLikeRegexp(STALE.source));
    Annotations.fromStack(stack).hasWarning('/S/D', Match.stringLikeRegexp('^S/Cpu watches'));
  });

  test('blue/green warns for a math expression alarm that uses the group\'s name too', () => {
    const { stack, vpc, asg, listener, cpuByGroupName } = fixture();
    const alarm = new cloudwatch.MathExpression({ expression: 'cpu / 100', usingMetrics: { cpu: cpuByGroupName } })
      .createAlarm(stack, 'CpuRatio', { threshold: 0.9, evaluationPeriods: 3 });
    new ServerDeployment(stack, 'D', { autoScalingGroups: [asg], loadBalancing: { vpc, listener }, blueGreen: {}, alarms: [alarm] });
    Annotations.fromStack(stack).hasWarning('/S/D', Match.stringLikeRegexp(STALE.source));
  });

  test('no such warning for the same alarm with in-place deployments, nor for blue/green with the target-group alarms only', () => {
    const inPlaceFixture = fixture();
    const alarm = inPlaceFixture.cpuByGroupName.createAlarm(inPlaceFixture.stack, 'Cpu', { threshold: 90, evaluationPeriods: 3 });
    new ServerDeployment(inPlaceFixture.stack, 'D', {
      autoScalingGroups: [inPlaceFixture.asg], loadBalancing: { vpc: inPlaceFixture.vpc, listener: inPlaceFixture.listener }, alarms: [alarm],
    });
    Annotations.fromStack(inPlaceFixture.stack).hasNoWarning('*', Match.stringLikeRegexp(STALE.source));

    const bg = fixture();
    new ServerDeployment(bg.stack, 'D', { autoScalingGroups: [bg.asg], loadBalancing: { vpc: bg.vpc, listener: bg.listener }, blueGreen: {} });
    Annotations.fromStack(bg.stack).hasNoWarning('*', Match.stringLikeRegexp(STALE.source));
  });
});
