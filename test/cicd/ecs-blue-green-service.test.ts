import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EcsBlueGreenService, EcsBlueGreenServiceProps, TrafficShift } from '../../lib';
import { addEcsBlueGreenServiceExamples, EcsBlueGreenServiceExamples, exampleVpc, deployTimeAzs } from '../../examples/cicd/ecs-blue-green-service';
import { exampleConfig } from '../../examples/config';
import { exampleTestApp } from '../support/app';
import { expectPermissionsHold, stacksOf } from '../support/permissions';

function examples(context: Record<string, unknown> = {}): { app: App; stacks: EcsBlueGreenServiceExamples } {
  const app = exampleTestApp(context);
  const stacks = addEcsBlueGreenServiceExamples(app, exampleConfig(app));
  app.synth();
  return { app, stacks };
}

/** The parts an EcsBlueGreenService needs, without the checks (refusals throw before synth). */
function parts(): { stack: Stack; props: EcsBlueGreenServiceProps } {
  const app = new App();
  const stack = new Stack(app, 'S', { env: { account: '444444444444', region: 'eu-west-1' } });
  Object.defineProperty(stack, 'availabilityZones', { get: deployTimeAzs });
  const vpc = exampleVpc(stack, 'Vpc');
  const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:eu-west-1:444444444444:certificate/11111111-2222-3333-4444-555555555555');
  return {
    stack,
    props: {
      cluster: new ecs.Cluster(stack, 'Cluster', { vpc }),
      loadBalancer: new elbv2.ApplicationLoadBalancer(stack, 'Lb', { vpc }),
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable'),
      productionListener: { port: 443, certificate },
      testListener: { port: 8443, certificate },
    },
  };
}

describe('CICD-6 EcsBlueGreenService', () => {
  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    await expectPermissionsHold(stacksOf(stacks));
  });
  const { stacks } = examples();
  const template = Template.fromStack(stacks.blueGreen);

  test('the Fargate service uses the CODE_DEPLOY deployment controller, private subnets and no public IP', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      DeploymentController: { Type: 'CODE_DEPLOY' },
      LaunchType: 'FARGATE',
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
      LoadBalancers: [{ ContainerName: 'App', ContainerPort: 80, TargetGroupArn: { Ref: Match.stringLikeRegexp('^WebBlueTargetGroup') } }],
    });
  });

  test('two IP target groups, a production listener to blue and a test listener to green, both HTTPS on different ports', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 2);
    template.allResourcesProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { TargetType: 'ip', Port: 80, Protocol: 'HTTP' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443, Protocol: 'HTTPS', SslPolicy: Match.stringLikeRegexp('TLS13'),
      DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: Match.stringLikeRegexp('^WebBlueTargetGroup') } }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 8443, Protocol: 'HTTPS',
      DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: Match.stringLikeRegexp('^WebGreenTargetGroup') } }],
    });
  });

  test('the test port admits only the VPC, the production port anyone', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: Match.arrayWith([
        Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 }),
        Match.objectLike({ CidrIp: '10.20.0.0/16', FromPort: 8443, ToPort: 8443 }),
      ]),
    });
    const groups = template.findResources('AWS::EC2::SecurityGroup');
    const open8443 = Object.values(groups).flatMap((g) => (g.Properties.SecurityGroupIngress ?? []) as { CidrIp?: string; FromPort?: number }[])
      .filter((r) => r.FromPort === 8443 && r.CidrIp === '0.0.0.0/0');
    expect(open8443).toEqual([]);
  });

  test('the ECS deployment group shifts traffic with ECSCanary10Percent5Minutes between the target group pair', () => {
    template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
      DeploymentStyle: { DeploymentOption: 'WITH_TRAFFIC_CONTROL', DeploymentType: 'BLUE_GREEN' },
      ECSServices: [Match.objectLike({ ServiceName: Match.anyValue() })],
      LoadBalancerInfo: { TargetGroupPairInfoList: [{
        ProdTrafficRoute: { ListenerArns: [{ Ref: Match.stringLikeRegexp('^LoadBalancerProductionListener') }] },
        TestTrafficRoute: { ListenerArns: [{ Ref: Match.stringLikeRegexp('^LoadBalancerTestListener') }] },
        TargetGroups: [
          { Name: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WebBlueTargetGroup'), 'TargetGroupName'] } },
          { Name: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WebGreenTargetGroup'), 'TargetGroupName'] } },
        ],
      }] },
      BlueGreenDeploymentConfiguration: {
        DeploymentReadyOption: { ActionOnTimeout: 'CONTINUE_DEPLOYMENT', WaitTimeInMinutes: 0 },
        TerminateBlueInstancesOnDeploymentSuccess: { Action: 'TERMINATE', TerminationWaitTimeInMinutes: 30 },
      },
    });
  });

  test('5XX and unhealthy-host alarms on both target groups roll a deployment back', () => {
    template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      AlarmConfiguration: { Enabled: true, Alarms: [
        { Name: { Ref: Match.stringLikeRegexp('^WebBlueTarget5xxAlarm') } },
        { Name: { Ref: Match.stringLikeRegexp('^WebBlueUnhealthyHostsAlarm') } },
        { Name: { Ref: Match.stringLikeRegexp('^WebGreenTarget5xxAlarm') } },
        { Name: { Ref: Match.stringLikeRegexp('^WebGreenUnhealthyHostsAlarm') } },
      ] },
      AutoRollbackConfiguration: { Enabled: true, Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'] },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Threshold: 5 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/ApplicationELB', MetricName: 'UnHealthyHostCount', Threshold: 1 });
  });

  test('container logs go through awslogs to a KMS-encrypted log group with retention', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      ContainerDefinitions: [Match.objectLike({
        Image: 'public.ecr.aws/nginx/nginx:stable',
        LogConfiguration: { LogDriver: 'awslogs', Options: Match.objectLike({ 'awslogs-group': { Ref: Match.stringLikeRegexp('^WebLogs') } }) },
      })],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: 365 });
  });

  test('the CodeDeploy role has no AWS managed policy and reaches only this service, its listeners and alarms', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'codedeploy.amazonaws.com' } })] },
      ManagedPolicyArns: Match.absent(),
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Description: 'Permissions of Cicd6-EcsBlueGreen/Web/DeploymentRole',
      PolicyDocument: { Statement: Match.arrayWith([
        { Effect: 'Allow', Action: 'ecs:DescribeServices', Resource: { Ref: Match.stringLikeRegexp('^WebService') } },
        Match.objectLike({ Action: ['ecs:CreateTaskSet', 'ecs:DeleteTaskSet', 'ecs:UpdateServicePrimaryTaskSet'] }),
        { Effect: 'Allow', Action: 'elasticloadbalancing:ModifyListener', Resource: [
          { Ref: Match.stringLikeRegexp('^LoadBalancerProductionListener') }, { Ref: Match.stringLikeRegexp('^LoadBalancerTestListener') },
        ] },
        Match.objectLike({ Action: 'iam:PassRole' }),
      ]) },
    });
  });

  test('Container Insights is on for the example cluster', () => {
    template.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
  });

  test('a custom linear shift becomes an ECS deployment configuration', () => {
    const { stack, props } = parts();
    new EcsBlueGreenService(stack, 'Web', { ...props, trafficShift: TrafficShift.linear(20, Duration.minutes(2)) });
    Template.fromStack(stack).hasResourceProperties('AWS::CodeDeploy::DeploymentConfig', {
      ComputePlatform: 'ECS',
      TrafficRoutingConfig: { Type: 'TimeBasedLinear', TimeBasedLinear: { LinearInterval: 2, LinearPercentage: 20 } },
    });
  });
});

describe('CICD-6 EcsBlueGreenService refusals', () => {
  test('refuses a production and a test listener on the same port', () => {
    const { stack, props } = parts();
    expect(() => new EcsBlueGreenService(stack, 'Web', { ...props, testListener: { ...props.testListener, port: 443 } }))
      .toThrow(/^S\/Web: invalid EcsBlueGreenService props \(1 problem\):\n {2}- productionListener and testListener are both on port 443: a load balancer has one listener per port/);
  });

  test('refuses a missing test listener (as a JavaScript or jsii caller can pass)', () => {
    const { stack, props } = parts();
    const withoutTest = { ...props, testListener: undefined } as unknown as EcsBlueGreenServiceProps;
    expect(() => new EcsBlueGreenService(stack, 'Web', withoutTest))
      .toThrow(/^S\/Web: invalid EcsBlueGreenService props \(1 problem\):\n {2}- testListener is missing: CodeDeploy ECS blue\/green needs a test listener/);
  });

  test('refuses a traffic shift with interval 0 or a percentage outside 1-99', () => {
    const { stack, props } = parts();
    expect(() => new EcsBlueGreenService(stack, 'Web', { ...props, trafficShift: TrafficShift.canary(100, Duration.minutes(0)) }))
      .toThrow(/\(2 problems\)[\s\S]*traffic percentage must be a whole number between 1 and 99, got 100[\s\S]*interval must be a whole number of minutes, at least 1, got 0/);
  });
});

describe('CICD-6 sandbox mode', () => {
  test('-c sandbox=true: no retained resource, no deletion protection, checks still pass', () => {
    const { stacks } = examples({ sandbox: 'true' });
    const t = Template.fromStack(stacks.blueGreen);
    const resources = t.toJSON().Resources as Record<string, { DeletionPolicy?: string }>;
    expect(Object.entries(resources).filter(([, r]) => r.DeletionPolicy === 'Retain').map(([id]) => id)).toEqual([]);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'deletion_protection.enabled', Value: 'false' }]),
    });
  });
});

describe('CICD-6 notifications and the CodeDeploy role', () => {
  test('notificationTopic is where the target group alarms tell a person', () => {
    const { stack, props } = parts();
    const topic = new sns.Topic(stack, 'Team');
    const service = new EcsBlueGreenService(stack, 'Web', { ...props, notificationTopic: topic });
    expect(service.notificationTopic).toBe(topic);
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'UnHealthyHostCount', AlarmActions: [{ Ref: Match.stringLikeRegexp('^Team') }] });
  });

  test('the deployment role refuses the account-wide AWSCodeDeployRoleForECS with a message', () => {
    const { stack, props } = parts();
    const service = new EcsBlueGreenService(stack, 'Web', props);
    expect(() => service.deploymentRole.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('AWSCodeDeployRoleForECS')))
      .toThrow(/^S\/Web\/DeploymentRole: invalid CodeDeployRole props \(1 problem\):\n {2}- the AWS managed policy AWSCodeDeployRoleForECS allows CodeDeploy's actions on every resource/);
  });
});
