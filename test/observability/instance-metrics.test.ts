import { Match, Template } from 'aws-cdk-lib/assertions';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { acknowledge, InstanceMetrics, InstanceMetricsProps, InstanceTargets } from '../../lib';
import { exampleConfig } from '../../examples/config';
import { addInstanceMetricsExamples } from '../../examples/observability/instance-metrics';
import { cdkJsonContext, checkedApp, exampleTestApp, synthWithChecks } from '../support/app';
import { expectPermissionsHold } from '../support/permissions';

const ENV = { account: '111111111111', region: 'eu-west-1' };
const AGENT_EDGE = 'CloudWatch agent (instance role) -> metrics, logs, configuration';

function stack(app: App = new App({ context: cdkJsonContext() })): Stack {
  return new Stack(app, 'Instances', { env: ENV });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the agent configuration is untyped JSON
function agentConfig(template: Template): any {
  const parameters = template.findResources('AWS::SSM::Parameter');
  const [parameter] = Object.values(parameters);
  return JSON.parse(parameter.Properties.Value);
}

describe('OBS-5 InstanceMetrics', () => {
  const app = exampleTestApp();
  const { instanceMetrics } = addInstanceMetricsExamples(app, exampleConfig(app));
  app.synth();
  const example = Template.fromStack(instanceMetrics);
  const config = agentConfig(example);
  const group = instanceMetrics.metrics.groupName;

  test('every service-to-service edge of the example stack is allowed by its policies, the agent on the tagged instances included (permission test)', async () => {
    const report = await expectPermissionsHold([instanceMetrics]);
    expect(report.edgeKinds[AGENT_EDGE]).toBe(1);
    expect(report.edgeKinds['alarm -> SNS topic']).toBe(1);
  });

  test('the agent configuration collects memory and disk use with InstanceId and AutoScalingGroupName, and aggregates on the group dimension and the Auto Scaling group', () => {
    expect(config.metrics.namespace).toBe('CWAgent');
    expect(config.metrics.append_dimensions).toEqual({ InstanceId: '${aws:InstanceId}', AutoScalingGroupName: '${aws:AutoScalingGroupName}' });
    expect(config.metrics.aggregation_dimensions).toEqual([['MetricsGroup'], ['AutoScalingGroupName']]);
    expect(config.metrics.metrics_collected.mem).toEqual({ measurement: ['mem_used_percent'], append_dimensions: { MetricsGroup: group } });
    expect(config.metrics.metrics_collected.disk).toMatchObject({ measurement: ['disk_used_percent'], resources: ['/'], drop_device: true, append_dimensions: { MetricsGroup: group } });
  });

  test('the memory alarm watches exactly the dimension set the agent publishes: the aggregated MetricsGroup, in the configured namespace, and notifies', () => {
    const [aggregated] = config.metrics.aggregation_dimensions;
    const dimensions = aggregated.map((name: string) => ({ Name: name, Value: config.metrics.metrics_collected.mem.append_dimensions[name] }));
    example.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: config.metrics.namespace,
      MetricName: config.metrics.metrics_collected.mem.measurement[0],
      Dimensions: dimensions,
      Statistic: 'Maximum', Period: 300, EvaluationPeriods: 3, Threshold: 85, ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^MetricsNotificationsTopic') }],
    });
  });

  test('the log files go to log groups the construct creates, encrypted and with retention; the agent is not asked to set retention', () => {
    const files = config.logs.logs_collected.files.collect_list;
    expect(files).toEqual([
      { file_path: '/var/log/app/app.log', log_group_name: `/ec2/${group}/var/log/app/app.log`, log_stream_name: '{instance_id}' },
      { file_path: '/var/log/messages', log_group_name: `/ec2/${group}/var/log/messages`, log_stream_name: '{instance_id}' },
    ]);
    expect(JSON.stringify(config)).not.toContain('retention_in_days');
    example.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: files[0].log_group_name, RetentionInDays: 90, KmsKeyId: Match.anyValue() });
    example.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: files[1].log_group_name, RetentionInDays: 365, KmsKeyId: Match.anyValue() });
  });

  test('the configuration is a String parameter in the standard tier when it fits 4,096 characters', () => {
    example.hasResourceProperties('AWS::SSM::Parameter', { Type: 'String', Tier: 'Standard' });
  });

  test('State Manager installs the agent package and configures it from the parameter, on the tagged instances, on a schedule, install first', () => {
    const targets = [{ Key: 'tag:cwagent', Values: ['enabled'] }];
    example.hasResourceProperties('AWS::SSM::Association', {
      Name: 'AWS-ConfigureAWSPackage',
      Parameters: { action: ['Install'], name: ['AmazonCloudWatchAgent'] },
      Targets: targets, ScheduleExpression: 'rate(1 day)',
    });
    example.hasResourceProperties('AWS::SSM::Association', {
      Name: 'AmazonCloudWatch-ManageAgent',
      Parameters: {
        action: ['configure'], mode: ['ec2'], optionalConfigurationSource: ['ssm'], optionalRestart: ['yes'],
        optionalConfigurationLocation: [{ Ref: Match.stringLikeRegexp('^MetricsAgentConfig') }],
      },
      Targets: targets, ScheduleExpression: 'rate(1 day)',
    });
    const [configure] = Object.values(example.findResources('AWS::SSM::Association', { Properties: { Name: 'AmazonCloudWatch-ManageAgent' } }));
    expect(configure.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^MetricsInstallAgent/)]));
  });

  test('the instance role gets exactly what the agent needs (namespace-bound metrics, its log groups, its parameter, no CreateLogGroup) and AmazonSSMManagedInstanceCore', () => {
    example.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^InstanceRole') }],
      PolicyDocument: {
        Statement: [
          { Sid: 'PutAgentMetrics', Effect: 'Allow', Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'CWAgent' } } },
          { Sid: 'DescribeInstanceTags', Effect: 'Allow', Action: ['ec2:DescribeTags', 'ec2:DescribeVolumes'], Resource: '*' },
          { Sid: 'ReadAgentConfiguration', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: { 'Fn::Join': ['', [Match.stringLikeRegexp(':parameter/$'), { Ref: Match.stringLikeRegexp('^MetricsAgentConfig') }]] } },
          {
            Sid: 'WriteAgentLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
            Resource: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^MetricsLogGroup1'), 'Arn'] }, { 'Fn::GetAtt': [Match.stringLikeRegexp('^MetricsLogGroup2'), 'Arn'] }],
          },
        ],
      },
    });
    expect(JSON.stringify(example.toJSON())).not.toContain('logs:CreateLogGroup');
    example.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore']] }],
    });
  });

  test('a changed configuration renames the configure association, so State Manager runs it on deployment', () => {
    const names = (props: Partial<InstanceMetricsProps>) => {
      const s = stack();
      const m = new InstanceMetrics(s, 'Metrics', { targets: InstanceTargets.tag('cwagent', 'enabled'), groupName: 'web', ...props });
      return [m.installAssociation.associationName, m.configureAssociation.associationName];
    };
    const [installA, configureA] = names({});
    const [installB, configureB] = names({ logFiles: [{ filePath: '/var/log/app.log' }] });
    expect(installA).toBe(installB);
    expect(configureA).not.toBe(configureB);
    expect(configureA).toMatch(/^web-configure-[0-9a-f]{10}$/);
  });

  test('an Auto Scaling group target selects its instances by aws:autoscaling:groupName, and exposes the metric a scaling policy tracks (IAC-8)', () => {
    const s = stack();
    const m = new InstanceMetrics(s, 'Metrics', { targets: InstanceTargets.autoScalingGroup('web-asg'), metricsNamespace: 'Web/Agent' });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::SSM::Association', { Name: 'AmazonCloudWatch-ManageAgent', Targets: [{ Key: 'tag:aws:autoscaling:groupName', Values: ['web-asg'] }] });
    const metric = m.memoryMetricForAutoScalingGroup('web-asg');
    expect(metric.namespace).toBe('Web/Agent');
    expect(metric.metricName).toBe(InstanceMetrics.MEMORY_METRIC_NAME);
    expect(metric.dimensions).toEqual({ AutoScalingGroupName: 'web-asg' });
    expect(agentConfig(t).metrics.aggregation_dimensions).toContainEqual(['AutoScalingGroupName']);
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Condition: { StringEquals: { 'cloudwatch:namespace': 'Web/Agent' } } })]) },
    });
  });

  test('a configuration over 4,096 characters goes to the advanced tier', () => {
    const s = stack();
    const logFiles = Array.from({ length: 30 }, (_, i) => ({ filePath: `/var/log/application-component-${i}/service.log` }));
    const m = new InstanceMetrics(s, 'Metrics', { targets: InstanceTargets.tag('cwagent', 'enabled'), logFiles });
    expect(m.agentConfig.length).toBeGreaterThan(4096);
    expect(m.agentConfig.length).toBeLessThanOrEqual(8192);
    Template.fromStack(s).hasResourceProperties('AWS::SSM::Parameter', { Tier: 'Advanced' });
  });

  test('an imported role gets the agent policy and a warning that AmazonSSMManagedInstanceCore must be attached by its owner', () => {
    const s = stack();
    const role = iam.Role.fromRoleName(s, 'Imported', 'app-servers');
    const m = new InstanceMetrics(s, 'Metrics', { targets: InstanceTargets.tag('cwagent', 'enabled'), instanceRoles: [role] });
    const warnings = m.node.metadata.filter((e) => e.type === 'aws:cdk:warning').map((e) => String(e.data));
    expect(warnings).toEqual([expect.stringContaining('AmazonSSMManagedInstanceCore must be attached by its owner')]);
    acknowledge(m, 'Annotation::@devops-patterns/instance-metrics-ssm-core', 'The test stands for the owner of the imported role, who attaches the policy.');
    Template.fromStack(s).hasResourceProperties('AWS::IAM::ManagedPolicy', { Roles: ['app-servers'] });
  });

  test('passes the checks and the permission test on its own, with an Auto Scaling group\'s role', async () => {
    const a = checkedApp();
    const s = stack(a);
    const role = new iam.Role(s, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    acknowledge(role, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      'AmazonSSMManagedInstanceCore is the AWS-maintained set of permissions the SSM Agent needs to run State Manager associations.');
    new InstanceMetrics(s, 'Metrics', {
      targets: InstanceTargets.tag('Patch Group', 'web'), instanceRoles: [role],
      logFiles: [{ filePath: '/var/log/nginx/*.log', logGroupName: '/web/nginx' }],
      schedule: events.Schedule.rate(Duration.minutes(30)),
    });
    new iam.CfnInstanceProfile(s, 'Profile', { roles: [role.roleName] });
    expect(() => synthWithChecks(a)).not.toThrow();
    const report = await expectPermissionsHold(s);
    expect(report.edgeKinds['alarm -> SNS topic']).toBe(1);
  });
});

describe('OBS-5 InstanceMetrics refusals', () => {
  const targets = InstanceTargets.tag('cwagent', 'enabled');
  const refused = (props: Partial<InstanceMetricsProps>, problem: string) => {
    expect(() => new InstanceMetrics(stack(), 'Metrics', { targets, ...props }))
      .toThrow(`Instances/Metrics: invalid InstanceMetrics props (1 problem):\n  - ${problem}`);
  };

  test('refuses a namespace reserved for AWS services', () => {
    refused({ metricsNamespace: 'AWS/EC2' }, 'metricsNamespace must be 1-255 characters and not start with "AWS/" (reserved for AWS services), got "AWS/EC2"');
  });

  test('refuses a memory threshold outside 1-100 %', () => {
    refused({ memoryAlarmThreshold: 120 }, 'memoryAlarmThreshold must be between 1 and 100, got 120');
  });

  test('refuses a schedule more often than every 30 minutes', () => {
    refused({ schedule: events.Schedule.rate(Duration.minutes(15)) }, 'schedule must be at least 30 minutes apart (State Manager\'s shortest rate), got rate(15 minutes)');
  });

  test('refuses targets without tag values', () => {
    refused({ targets: InstanceTargets.tag('cwagent') }, 'targets: between 1 and 50 tag values, got 0');
  });

  test('refuses a relative log file path', () => {
    refused({ logFiles: [{ filePath: 'app.log', logGroupName: '/app' }] }, 'logFiles: filePath must be an absolute path on a Linux instance, got "app.log"');
  });

  test('refuses two log files in one log group', () => {
    refused({ logFiles: [{ filePath: '/a.log', logGroupName: '/app' }, { filePath: '/b.log', logGroupName: '/app' }] },
      'logFiles: two files go to log group "/app"; give each file its own log group');
  });

  test('refuses a log group name CloudWatch Logs does not accept', () => {
    refused({ logFiles: [{ filePath: '/a.log', logGroupName: 'app logs' }] }, 'logFiles: log group name "app logs" must be 1-512 letters, digits and . - _ / #');
  });

  test('refuses a configuration larger than a parameter holds (8,192 characters)', () => {
    const logFiles = Array.from({ length: 60 }, (_, i) => ({ filePath: `/var/log/application-component-${i}/service.log` }));
    expect(() => new InstanceMetrics(stack(), 'Metrics', { targets, logFiles }))
      .toThrow(/the agent configuration is \d{4,5} characters; a parameter holds at most 8192 \(advanced tier\): collect fewer log files or split the instances/);
  });

  test('refuses a group name that cannot be a dimension value and an association name', () => {
    refused({ groupName: 'web servers' }, 'groupName must be letters, digits, ".", "_" and "-", at most 128 characters, got "web servers"');
  });

  test('refuses a relative disk mount point', () => {
    refused({ diskMountPoints: ['data'] }, 'diskMountPoints must be absolute paths or "*", got "data"');
  });

  test('refuses a collection interval that is not whole seconds', () => {
    refused({ metricsCollectionInterval: Duration.millis(1500) }, 'metricsCollectionInterval must be a whole number of seconds, at least 1, got 1.5');
  });
});
