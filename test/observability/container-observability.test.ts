import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { ContainerObservability, ContainerObservabilityProps, ResilientNetwork } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addContainerObservabilityExamples } from '../../examples/observability/container-observability';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { explainDenial, expectPermissionsHold, stacksOf } from '../support/permissions';

const ENV = { account: '111111111111', region: 'eu-west-1' };
const ZONES = ['eu-west-1a', 'eu-west-1b'];
const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable');

function stack(app: App = new App({ context: cdkJsonContext() })): { s: Stack; vpc: ec2.IVpc } {
  const s = new Stack(app, 'Containers', { env: ENV });
  const vpc = new ec2.Vpc(s, 'Vpc', {
    availabilityZones: ['eu-west-1a', 'eu-west-1b'], natGateways: 1, restrictDefaultSecurityGroup: false,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC, mapPublicIpOnLaunch: false },
      { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    ],
  });
  return { s, vpc };
}

function build(props: Partial<ContainerObservabilityProps> = {}): Stack {
  const { s, vpc } = stack();
  new ContainerObservability(s, 'Jobs', { vpc, image: IMAGE, ...props });
  return s;
}

interface Container { Name: string; LogConfiguration: unknown }
interface Statement { Action: string | string[] }
type Resources = Record<string, { Type: string; Properties: Record<string, unknown> & { ContainerDefinitions: Container[]; Description: string; PolicyDocument: { Statement: Statement[] } } }>;

describe('OBS-4 ContainerObservability', () => {
  const app = exampleTestApp();
  const examples = addContainerObservabilityExamples(app, exampleConfig(app));
  app.synth();
  const example = Template.fromStack(examples.containers);
  const resources = example.toJSON().Resources as Resources;

  test('every service-to-service edge of the example stacks is allowed by their policies (permission test)', async () => {
    const report = await expectPermissionsHold(stacksOf(examples));
    expect(report.edgeKinds).toMatchObject({
      'ECS awslogs -> log group': 2, 'Scheduler -> ECS RunTask': 1, 'EventBridge rule -> sns': 1,
      'ecs-tasks assumes its role': 2, 'ec2 assumes its role': 1, 'CloudWatch Logs -> log group KMS key': 2,
    });
  });

  test('the cluster has Container Insights (standard unless asked for enhanced)', () => {
    example.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] });
    Template.fromStack(build({ containerInsights: ecs.ContainerInsights.ENHANCED }))
      .hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }] });
  });

  test('every container writes through awslogs into one KMS-encrypted log group with retention, and the execution role may write only there', () => {
    const task = Object.values(resources).find((r) => r.Type === 'AWS::ECS::TaskDefinition')!;
    expect(task.Properties).toMatchObject({ RequiresCompatibilities: ['FARGATE'], NetworkMode: 'awsvpc', Cpu: '256', Memory: '512' });
    const groups = task.Properties.ContainerDefinitions.map((c) => [c.Name, c.LogConfiguration]);
    expect(groups).toEqual([
      ['App', { LogDriver: 'awslogs', Options: { 'awslogs-group': { Ref: expect.stringMatching(/^JobsLogsLogGroup/) }, 'awslogs-stream-prefix': 'app', 'awslogs-region': 'eu-west-1' } }],
      ['xray-daemon', { LogDriver: 'awslogs', Options: { 'awslogs-group': { Ref: expect.stringMatching(/^JobsLogsLogGroup/) }, 'awslogs-stream-prefix': 'xray', 'awslogs-region': 'eu-west-1' } }],
    ]);
    example.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: 365 });
    example.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Description: Match.stringLikeRegexp('Jobs/ExecutionRole$'),
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobsLogsLogGroup'), 'Arn'] } }] },
    });
  });

  test('the X-Ray daemon sidecar listens on UDP 2000, is not essential, and the task role has exactly the daemon\'s actions', () => {
    const task = Object.values(resources).find((r) => r.Type === 'AWS::ECS::TaskDefinition')!;
    expect(task.Properties.ContainerDefinitions[1]).toMatchObject({
      Name: 'xray-daemon', Image: 'public.ecr.aws/xray/aws-xray-daemon:latest', Essential: false,
      PortMappings: [{ ContainerPort: 2000, Protocol: 'udp' }],
    });
    example.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Description: Match.stringLikeRegexp('Jobs/TaskRole$'),
      PolicyDocument: { Statement: [{
        Effect: 'Allow', Resource: '*',
        Action: ['xray:GetSamplingRules', 'xray:GetSamplingStatisticSummaries', 'xray:GetSamplingTargets', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
      }] },
    });
  });

  test('without xrayDaemon: one container, and the task role has no permissions', () => {
    const t = Template.fromStack(build());
    const task = Object.values(t.toJSON().Resources as Resources).find((r) => r.Type === 'AWS::ECS::TaskDefinition')!;
    expect(task.Properties.ContainerDefinitions.map((c) => c.Name)).toEqual(['App']);
    t.resourcePropertiesCountIs('AWS::IAM::ManagedPolicy', { Description: Match.stringLikeRegexp('TaskRole$') }, 0);
  });

  test('a task of the cluster that stops on a failed essential container, or fails to start, tells a person in words', () => {
    example.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        'detail': {
          clusterArn: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^JobsCluster'), 'Arn'] }],
          lastStatus: ['STOPPED'],
          $or: [
            { stopCode: ['EssentialContainerExited'], containers: { exitCode: [{ 'anything-but': 0 }] } },
            { stopCode: ['TaskFailedToStart'] },
          ],
        },
      },
      Targets: [Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('^JobsNotificationsTopic') },
        InputTransformer: Match.objectLike({
          InputPathsMap: Match.objectLike({ 'detail-taskArn': '$.detail.taskArn', 'detail-group': '$.detail.group', 'detail-stoppedReason': '$.detail.stoppedReason' }),
          InputTemplate: Match.stringLikeRegexp('ECS task <detail-taskArn> \\(group <detail-group>\\) stopped at <detail-stoppedAt>: <detail-stoppedReason> \\(stop code <detail-stopCode>\\)'),
        }),
      })],
    });
  });

  test('the schedule runs the task definition on Fargate in private subnets without a public IP, in its own security group', () => {
    example.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      Target: {
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobsCluster'), 'Arn'] },
        RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobsSchedulerRole'), 'Arn'] },
        EcsParameters: Match.objectLike({
          TaskDefinitionArn: { Ref: Match.stringLikeRegexp('^JobsTaskDefinition') },
          LaunchType: 'FARGATE',
          TaskCount: 1,
          NetworkConfiguration: { AwsvpcConfiguration: {
            AssignPublicIp: 'DISABLED',
            SecurityGroups: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^JobsTaskSecurityGroup'), 'GroupId'] }],
            Subnets: [{ Ref: Match.stringLikeRegexp('privateSubnet1') }, { Ref: Match.stringLikeRegexp('privateSubnet2') }],
          } },
        }),
      },
    });
    const group = Object.values(resources).find((r) => r.Type === 'AWS::EC2::SecurityGroup' && String(r.Properties.GroupDescription).startsWith('Tasks of'))!;
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
  });

  test('the scheduler role may run only this task definition family, only in this cluster, and pass only the task\'s two roles to ECS tasks', () => {
    example.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Description: Match.stringLikeRegexp('Jobs/SchedulerRole$'),
      PolicyDocument: { Statement: [
        {
          Effect: 'Allow', Action: 'ecs:RunTask',
          Resource: Match.stringLikeRegexp('^arn:aws:ecs:eu-west-1:444444444444:task-definition/Obs4ContainerObservabilityJobsTaskDefinition[0-9A-F]{8}:\\*$'),
          Condition: { ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobsCluster'), 'Arn'] } } },
        },
        {
          Effect: 'Allow', Action: 'iam:PassRole',
          Resource: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^JobsExecutionRole'), 'Arn'] }, { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobsTaskRole'), 'Arn'] }],
          Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        },
      ] },
    });
    example.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '444444444444' } } })] },
    });
  });

  test('the container instance role writes only into its log group, with CreateLogStream and PutLogEvents, and the ECS agent\'s calls reach only this cluster', async () => {
    const policy = Object.values(resources).find((r) => r.Type === 'AWS::IAM::ManagedPolicy' && /ContainerInstanceRole$/.test(r.Properties.Description))!;
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements.filter((st) => [st.Action].flat().some((a) => a.startsWith('logs:')))).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [expect.stringMatching(/^JobsLogsLogGroup/), 'Arn'] } },
    ]);
    expect(statements.flatMap((st) => [st.Action].flat()).filter((a) => !a.startsWith('logs:')).sort()).toEqual([
      'ecs:DeregisterContainerInstance', 'ecs:DiscoverPollEndpoint', 'ecs:Poll', 'ecs:RegisterContainerInstance', 'ecs:StartTelemetrySession',
      'ecs:SubmitAttachmentStateChanges', 'ecs:SubmitContainerStateChange', 'ecs:SubmitTaskStateChange', 'ecs:UpdateContainerInstancesState',
    ]);
    example.hasResourceProperties('AWS::IAM::InstanceProfile', { Roles: [{ Ref: Match.stringLikeRegexp('^JobsContainerInstanceRole') }] });

    // Evaluated: the role may write a stream of its log group, and not of another group.
    const report = await expectPermissionsHold(examples.containers);
    const role = report.assembly.resourcesOfType('AWS::IAM::Role').find((r) => r.label.includes('JobsContainerInstanceRole'))!;
    const group = report.assembly.resourcesOfType('AWS::Logs::LogGroup').find((r) => r.label.includes('JobsLogs'))!;
    const flowLogs = report.assembly.resourcesOfType('AWS::Logs::LogGroup').find((r) => r.label.includes('NetworkFlowLogs'))!;
    const stream = (name: string) => `arn:aws:logs:eu-west-1:444444444444:log-group:${name}:log-stream:ecs/app/0123abcd`;
    for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
      expect(await explainDenial(report.assembly, { principal: role.arn!, action, resource: stream(group.ref) })).toBeUndefined();
      expect(await explainDenial(report.assembly, { principal: role.arn!, action, resource: stream(flowLogs.ref) })).toMatch(/is not allowed/);
    }
    expect(await explainDenial(report.assembly, { principal: role.arn!, action: 'ecs:RegisterContainerInstance', resource: 'arn:aws:ecs:eu-west-1:444444444444:cluster/another' })).toMatch(/is not allowed/);
  });

  test('no schedule and no container instance role unless asked', () => {
    const t = Template.fromStack(build());
    t.resourceCountIs('AWS::Scheduler::Schedule', 0);
    t.resourceCountIs('AWS::IAM::InstanceProfile', 0);
    t.resourceCountIs('AWS::Events::Rule', 1);
  });

  test('passes the checks and the permission test on its own', async () => {
    const a = checkedApp();
    const s = new Stack(a, 'Containers', { env: ENV });
    s.node.setContext(`availability-zones:account=${ENV.account}:region=${ENV.region}`, ZONES);
    const network = new ResilientNetwork(s, 'Network', { availabilityZones: ZONES });
    new ContainerObservability(s, 'Jobs', {
      vpc: network.vpc, image: IMAGE, xrayDaemon: true, containerInstanceRole: true, containerInsights: ecs.ContainerInsights.ENHANCED,
      schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: '3' }),
    });
    expect(() => synthWithChecks(a)).not.toThrow();
    const report = await expectPermissionsHold(s);
    expect(report.edgeKinds['Scheduler -> ECS RunTask']).toBe(1);
  });
});

describe('OBS-4 ContainerObservability refusals', () => {
  const refused = (props: Partial<ContainerObservabilityProps>) => () => build(props);

  test('refuses Container Insights turned off', () => {
    expect(refused({ containerInsights: ecs.ContainerInsights.DISABLED }))
      .toThrow('Containers/Jobs: invalid ContainerObservability props (1 problem):\n  - containerInsights is DISABLED: ContainerObservability exists to collect them (ENABLED or ENHANCED)');
  });

  test('refuses a memory size Fargate does not offer for the CPU', () => {
    expect(refused({ cpu: 256, memoryLimitMiB: 4096 }))
      .toThrow('Containers/Jobs: invalid ContainerObservability props (1 problem):\n  - memoryLimitMiB 4096 does not fit cpu 256: Fargate accepts 512 to 2048 MiB in steps of 512');
  });

  test('refuses a CPU size Fargate does not offer', () => {
    expect(refused({ cpu: 300 }))
      .toThrow('Containers/Jobs: invalid ContainerObservability props (1 problem):\n  - cpu must be one of 256, 512, 1024, 2048, 4096, 8192, 16384 (Fargate task sizes), got 300');
  });

  test('refuses public subnets for tasks that get no public IP', () => {
    expect(refused({ vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC } }))
      .toThrow('Containers/Jobs: invalid ContainerObservability props (1 problem):\n  - vpcSubnets selects public subnets: scheduled tasks run without a public IP, so there they could not pull their image or reach CloudWatch (use private subnets with a NAT gateway or VPC endpoints)');
  });
});
