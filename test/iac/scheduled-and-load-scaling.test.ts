import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { acknowledge, InstanceMetrics, PredictiveScalingMode, ScalingScheduledAction, ScheduledAndLoadScaling, ScheduledAndLoadScalingProps } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addScheduledAndLoadScalingExamples } from '../../examples/iac/scheduled-and-load-scaling';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold } from '../support/permissions';

const ENV = { account: '111111111111', region: 'eu-west-1' };
const AGENT_EDGE = 'CloudWatch agent (instance role) -> metrics, logs, configuration';
const MORNING = autoscaling.Schedule.cron({ minute: '0', hour: '8', weekDay: '1-5' });

function stack(app: App = new App({ context: cdkJsonContext() })): Stack {
  return new Stack(app, 'Scaling', { env: ENV });
}

function importedGroup(s: Stack, name = 'web-asg'): autoscaling.IAutoScalingGroup {
  return autoscaling.AutoScalingGroup.fromAutoScalingGroupName(s, 'Group', name);
}

function instanceRole(s: Stack): iam.Role {
  return new iam.Role(s, 'InstanceRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
}

function build(props: Partial<ScheduledAndLoadScalingProps>, s: Stack = stack()): ScheduledAndLoadScaling {
  return new ScheduledAndLoadScaling(s, 'Scaling', { autoScalingGroup: importedGroup(s), ...props });
}

function refuses(props: Partial<ScheduledAndLoadScalingProps>, problem: string): void {
  expect(() => build(props)).toThrow(`Scaling/Scaling: invalid ScheduledAndLoadScaling props (1 problem):\n  - ${problem}`);
}

function action(overrides: Partial<ScalingScheduledAction>): ScalingScheduledAction {
  return { name: 'Morning', schedule: MORNING, timeZone: 'Europe/Paris', minCapacity: 4, ...overrides };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the agent configuration is untyped JSON
function agentConfig(template: Template): any {
  const [parameter] = Object.values(template.findResources('AWS::SSM::Parameter'));
  return JSON.parse(parameter.Properties.Value);
}

describe('IAC-8 ScheduledAndLoadScaling', () => {
  const app = exampleTestApp();
  const { scaling } = addScheduledAndLoadScalingExamples(app, exampleConfig(app));
  app.synth();
  const example = Template.fromStack(scaling);
  const groupRef = { Ref: Match.stringLikeRegexp('^WebServersASG') };

  test('every service-to-service edge of the example stack is allowed by its policies, the agent on the group\'s instances included (permission test)', async () => {
    const report = await expectPermissionsHold([scaling]);
    expect(report.edgeKinds[AGENT_EDGE]).toBe(1);
    expect(report.edgeKinds['EventBridge rule -> sns']).toBe(1);
    expect(report.edgeKinds['alarm -> SNS topic']).toBe(1);
  });

  test('time-based: scheduled actions on the group with a Unix cron recurrence read in an IANA time zone', () => {
    example.hasResourceProperties('AWS::AutoScaling::ScheduledAction', {
      AutoScalingGroupName: groupRef, Recurrence: '0 8 * * 1-5', TimeZone: 'Europe/Paris', MinSize: 4,
    });
    example.hasResourceProperties('AWS::AutoScaling::ScheduledAction', {
      AutoScalingGroupName: groupRef, Recurrence: '0 20 * * 1-5', TimeZone: 'Europe/Paris', MinSize: 2,
    });
  });

  test('load-based on CPU: target tracking on the predefined ASGAverageCPUUtilization at 50 %', () => {
    example.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      AutoScalingGroupName: groupRef,
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: 50 },
    });
  });

  test('load-based on memory: the policy tracks exactly the metric the OBS-5 agent configuration publishes for the group (namespace, name, AutoScalingGroupName aggregate)', () => {
    const config = agentConfig(example);
    const memoryName = config.metrics.metrics_collected.mem.measurement[0];
    // The agent publishes the AutoScalingGroupName aggregate only because the configuration asks for it.
    expect(config.metrics.aggregation_dimensions).toContainEqual(['AutoScalingGroupName']);
    expect(config.metrics.append_dimensions.AutoScalingGroupName).toBe('${aws:AutoScalingGroupName}');
    expect(memoryName).toBe(InstanceMetrics.MEMORY_METRIC_NAME);
    example.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingConfiguration: {
        CustomizedMetricSpecification: {
          Namespace: config.metrics.namespace,
          MetricName: memoryName,
          Dimensions: [{ Name: 'AutoScalingGroupName', Value: groupRef }],
          Statistic: 'Average',
          Unit: 'Percent',
        },
        TargetValue: 70,
      },
    });
    // The same metric object the construct exposes, as OBS-5 builds it.
    const metric = scaling.scaling.instanceMetrics!.memoryMetricForAutoScalingGroup(scaling.group.autoScalingGroupName).toMetricConfig().metricStat!;
    expect(scaling.scaling.memoryMetric!.toMetricConfig().metricStat).toEqual(metric);
  });

  test('the agent is installed and configured on the group\'s instances (aws:autoscaling:groupName), again every 30 minutes, and the instance role gets its grants', () => {
    for (const name of ['AWS-ConfigureAWSPackage', 'AmazonCloudWatch-ManageAgent']) {
      example.hasResourceProperties('AWS::SSM::Association', {
        Name: name,
        Targets: [{ Key: 'tag:aws:autoscaling:groupName', Values: [groupRef] }],
        ScheduleExpression: 'rate(30 minutes)',
      });
    }
    example.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^InstanceRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'cloudwatch:PutMetricData', Condition: { StringEquals: { 'cloudwatch:namespace': 'CWAgent' } } })]) },
    });
    example.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: Match.arrayWith([{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore']] }]),
    });
  });

  test('predictive scaling on the CPU metric pair, forecast only, five minutes ahead, never above the group\'s maximum', () => {
    example.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      AutoScalingGroupName: groupRef,
      PolicyType: 'PredictiveScaling',
      PredictiveScalingConfiguration: {
        Mode: 'ForecastOnly',
        MetricSpecifications: [{ PredefinedMetricPairSpecification: { PredefinedMetricType: 'ASGCPUUtilization' }, TargetValue: 50 }],
        SchedulingBufferTime: 300,
        MaxCapacityBreachBehavior: 'HonorMaxCapacity',
      },
    });
  });

  test('a failed launch reaches a person in words', () => {
    example.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.autoscaling'], 'detail-type': ['EC2 Instance Launch Unsuccessful'], 'detail': { AutoScalingGroupName: [groupRef] } },
      Targets: [Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('^ScalingNotificationsTopic') },
        InputTransformer: Match.objectLike({ InputTemplate: Match.stringLikeRegexp('could not launch an instance') }),
      })],
    });
  });

  test('an agent set up elsewhere: its memory metric is tracked and no second agent setup is created', () => {
    const s = stack();
    const metric = new cloudwatch.Metric({ namespace: 'Apps', metricName: 'mem_used_percent', dimensionsMap: { AutoScalingGroupName: 'web-asg' }, statistic: 'Average' });
    build({ memoryTargetUtilizationPercent: 60, memoryMetric: metric }, s);
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::SSM::Association', 0);
    t.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      AutoScalingGroupName: 'web-asg',
      TargetTrackingConfiguration: { CustomizedMetricSpecification: { Namespace: 'Apps', MetricName: 'mem_used_percent', Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'web-asg' }] }, TargetValue: 60 },
    });
  });

  test('scheduled actions alone: no target tracking, no predictive policy, no agent', () => {
    const s = stack();
    build({ scheduledActions: [action({})] }, s);
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::AutoScaling::ScheduledAction', 1);
    t.resourceCountIs('AWS::AutoScaling::ScalingPolicy', 0);
    t.resourceCountIs('AWS::SSM::Association', 0);
  });

  test('predictive scaling sizes for the CPU target unless told otherwise, and forecasts and scales when asked', () => {
    const s = stack();
    build({ cpuTargetUtilizationPercent: 40, predictiveScaling: { mode: PredictiveScalingMode.FORECAST_AND_SCALE, schedulingBufferTime: Duration.minutes(10) } }, s);
    Template.fromStack(s).hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      PredictiveScalingConfiguration: Match.objectLike({ Mode: 'ForecastAndScale', SchedulingBufferTime: 600, MetricSpecifications: [Match.objectLike({ TargetValue: 40 })] }),
    });
  });

  test('passes the checks and the permission test on its own', async () => {
    const a = checkedApp();
    const s = stack(a);
    const role = instanceRole(s);
    build({
      scheduledActions: [action({ maxCapacity: 10 })],
      cpuTargetUtilizationPercent: 50,
      memoryTargetUtilizationPercent: 70,
      instanceRole: role,
      predictiveScaling: {},
    }, s);
    acknowledge(role, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      'The test\'s instance role: the SSM Agent needs AmazonSSMManagedInstanceCore to run the CloudWatch agent associations.');
    expect(() => synthWithChecks(a)).not.toThrow();
    const report = await expectPermissionsHold(s);
    expect(report.edgeKinds['EventBridge rule -> sns']).toBe(1);
    expect(report.edgeKinds['alarm -> SNS topic']).toBe(1);
  });
});

describe('IAC-8 ScheduledAndLoadScaling refusals', () => {
  test('refuses a construct with nothing to scale on', () => {
    refuses({}, 'nothing to scale on: give scheduledActions, cpuTargetUtilizationPercent, memoryTargetUtilizationPercent or predictiveScaling');
  });

  test('refuses a scheduled action that sets nothing', () => {
    refuses({ scheduledActions: [action({ minCapacity: undefined })] },
      'scheduled action "Morning" sets nothing: give minCapacity, maxCapacity or desiredCapacity');
  });

  test('refuses a scheduled action whose minimum is above its maximum', () => {
    refuses({ scheduledActions: [action({ minCapacity: 5, maxCapacity: 3 })] }, 'scheduled action "Morning": minCapacity (5) is above maxCapacity (3)');
  });

  test('refuses a desired capacity outside the action\'s own limits', () => {
    refuses({ scheduledActions: [action({ minCapacity: 2, desiredCapacity: 1 })] }, 'scheduled action "Morning": desiredCapacity (1) is below minCapacity (2)');
  });

  test('refuses a capacity that is not a whole number', () => {
    refuses({ scheduledActions: [action({ minCapacity: 1.5 })] }, 'scheduled action "Morning": minCapacity must be a whole number, 0 or more, got 1.5');
  });

  test('refuses a time zone that is not an IANA name', () => {
    refuses({ scheduledActions: [action({ timeZone: 'Paris' })] },
      'scheduled action "Morning": timeZone "Paris" is not an IANA time zone name (such as Europe/Paris, America/New_York or Etc/UTC)');
  });

  test('refuses a time zone in the wrong case', () => {
    refuses({ scheduledActions: [action({ timeZone: 'europe/paris' })] }, 'scheduled action "Morning": timeZone "europe/paris" must be spelled as in the IANA database: "Europe/Paris"');
  });

  test('refuses a schedule that is not five cron fields (an EventBridge expression)', () => {
    refuses({ scheduledActions: [action({ schedule: autoscaling.Schedule.expression(events.Schedule.cron({ hour: '8', minute: '0' }).expressionString) })] },
      'scheduled action "Morning": schedule must be a Unix cron expression of five fields (minute hour day-of-month month day-of-week), got "cron(0 8 * * ? *)"');
  });

  test('refuses two scheduled actions with one name', () => {
    refuses({ scheduledActions: [action({}), action({})] }, 'scheduled action "Morning": two scheduled actions have this name');
  });

  test('refuses an action name that cannot be a construct id', () => {
    refuses({ scheduledActions: [action({ name: 'Morning/Paris' })] }, 'scheduled action "Morning/Paris": name must be 1-64 letters, digits, "-" and "_"');
  });

  test('refuses a CPU target outside 1-100 %', () => {
    refuses({ cpuTargetUtilizationPercent: 0 }, 'cpuTargetUtilizationPercent must be between 1 and 100, got 0');
  });

  test('refuses a memory target outside 1-100 %', () => {
    const s = stack();
    expect(() => build({ memoryTargetUtilizationPercent: 120, instanceRole: instanceRole(s) }, s))
      .toThrow('Scaling/Scaling: invalid ScheduledAndLoadScaling props (1 problem):\n  - memoryTargetUtilizationPercent must be between 1 and 100, got 120');
  });

  test('refuses memory target tracking without an instance role for the agent', () => {
    refuses({ memoryTargetUtilizationPercent: 70 },
      'memory target tracking needs the CloudWatch agent on the instances: give instanceRole (the group\'s launch template exposes no role), or a memoryMetric of an agent set up elsewhere');
  });

  test('refuses a memory metric without a memory target', () => {
    const metric = new cloudwatch.Metric({ namespace: 'CWAgent', metricName: 'mem_used_percent', dimensionsMap: { AutoScalingGroupName: 'web-asg' } });
    refuses({ cpuTargetUtilizationPercent: 50, memoryMetric: metric },
      'memoryMetric is given without memoryTargetUtilizationPercent: set the target memory use, or leave the metric out');
  });

  test('refuses a memory metric without the AutoScalingGroupName dimension', () => {
    const metric = new cloudwatch.Metric({ namespace: 'CWAgent', metricName: 'mem_used_percent', dimensionsMap: { MetricsGroup: 'web' } });
    refuses({ memoryTargetUtilizationPercent: 70, memoryMetric: metric },
      'memoryMetric must have exactly the dimension AutoScalingGroupName (the agent\'s per-group aggregate), got MetricsGroup');
  });

  test('refuses a memory metric of another group', () => {
    const metric = new cloudwatch.Metric({ namespace: 'CWAgent', metricName: 'mem_used_percent', dimensionsMap: { AutoScalingGroupName: 'batch-asg' } });
    refuses({ memoryTargetUtilizationPercent: 70, memoryMetric: metric }, 'memoryMetric is for Auto Scaling group "batch-asg", not "web-asg"');
  });

  test('refuses a metric math expression as the memory metric', () => {
    const metric = new cloudwatch.MathExpression({ expression: 'm1', usingMetrics: { m1: new cloudwatch.Metric({ namespace: 'CWAgent', metricName: 'mem_used_percent' }) } });
    refuses({ memoryTargetUtilizationPercent: 70, memoryMetric: metric }, 'memoryMetric must be a single metric, not a metric math expression');
  });

  test('refuses agent settings without memory target tracking', () => {
    const s = stack();
    expect(() => build({ cpuTargetUtilizationPercent: 50, instanceRole: instanceRole(s) }, s))
      .toThrow('instanceRole and agentSchedule set up the CloudWatch agent for memory target tracking: set memoryTargetUtilizationPercent, or leave them out');
  });

  test('refuses an agent schedule when the agent is set up elsewhere (memoryMetric)', () => {
    const metric = new cloudwatch.Metric({ namespace: 'CWAgent', metricName: 'mem_used_percent', dimensionsMap: { AutoScalingGroupName: 'web-asg' } });
    refuses({ memoryTargetUtilizationPercent: 70, memoryMetric: metric, agentSchedule: events.Schedule.rate(Duration.hours(1)) },
      'agentSchedule applies to the agent this construct sets up; with memoryMetric the agent is set up elsewhere');
  });

  test('refuses an agent schedule more often than State Manager allows (OBS-5\'s refusal, on the agent setup)', () => {
    const s = stack();
    expect(() => build({ memoryTargetUtilizationPercent: 70, instanceRole: instanceRole(s), agentSchedule: events.Schedule.rate(Duration.minutes(10)) }, s))
      .toThrow('Scaling/Scaling/Agent: invalid InstanceMetrics props (1 problem):\n  - schedule must be at least 30 minutes apart (State Manager\'s shortest rate), got rate(10 minutes)');
  });

  test('refuses a predictive target outside 1-100 %', () => {
    refuses({ predictiveScaling: { targetUtilizationPercent: 101 } }, 'predictiveScaling.targetUtilizationPercent must be between 1 and 100, got 101');
  });

  test('refuses a predictive scheduling buffer of an hour or more', () => {
    refuses({ predictiveScaling: { schedulingBufferTime: Duration.hours(1) } },
      'predictiveScaling.schedulingBufferTime must be whole seconds under one hour (the forecast interval), got 3600 s');
  });
});
