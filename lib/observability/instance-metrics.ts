/**
 * OBS-5 InstanceMetrics: memory, disk and log files of EC2 instances in CloudWatch, through the
 * CloudWatch agent that State Manager installs and keeps configured.
 *
 * EC2 reports CPU, network and disk I/O from the hypervisor; memory use, file system use and the
 * application's own log files are only visible inside the instance, so they need the CloudWatch
 * agent. This construct keeps the agent's configuration in a Parameter Store parameter (built
 * from typed props, with the dimensions an alarm or a scaling policy can rely on), creates two
 * State Manager associations on the target instances (install the `AmazonCloudWatchAgent`
 * package; configure the agent from the parameter) that run again on a schedule so drift is
 * corrected, creates the log groups the agent writes to (encrypted, with retention), a managed
 * policy with exactly what the agent needs, and an alarm on memory use that notifies a person.
 * IAC-8 scales Auto Scaling groups on the same memory metric
 * ({@link InstanceMetrics.memoryMetricForAutoScalingGroup}).
 */
import * as crypto from 'crypto';
import { Annotations, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { acknowledge } from '../core/acknowledge';
import { addAlarmNotification } from '../core/alarm-notification';
import { EncryptedLogGroup } from '../core/log-group';
import { NotificationTopic } from '../core/notification-topic';
import { PropsCheck } from '../core/validation';

/**
 * The instances the agent is installed on and configured for, as State Manager targets
 * (docs.aws.amazon.com/systems-manager/latest/APIReference/API_Target.html).
 */
export class InstanceTargets {
  /**
   * Instances that carry the tag `key` with one of `values` (State Manager target
   * `tag:<key>`). New instances with the tag are configured when they register with Systems
   * Manager.
   */
  public static tag(key: string, ...values: string[]): InstanceTargets {
    return new InstanceTargets(key, values);
  }

  /**
   * The instances of one Auto Scaling group, by the `aws:autoscaling:groupName` tag that EC2
   * Auto Scaling puts on every instance it launches
   * (docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-tagging.html).
   */
  public static autoScalingGroup(autoScalingGroupName: string): InstanceTargets {
    return new InstanceTargets('aws:autoscaling:groupName', [autoScalingGroupName], autoScalingGroupName);
  }

  /** The tag key. */
  public readonly tagKey: string;
  /** The tag values, any of which selects an instance. */
  public readonly tagValues: string[];
  /** The Auto Scaling group's name, when the targets are one group's instances. */
  public readonly autoScalingGroupName?: string;

  private constructor(tagKey: string, tagValues: string[], autoScalingGroupName?: string) {
    this.tagKey = tagKey;
    this.tagValues = tagValues;
    this.autoScalingGroupName = autoScalingGroupName;
  }
}

/** A log file on the instances that the agent sends to CloudWatch Logs. */
export interface AgentLogFile {
  /**
   * The file's absolute path on the instance; the agent accepts wildcards (`/var/log/app/*.log`).
   */
  readonly filePath: string;
  /**
   * The log group the file goes to, created by this construct.
   * @default - `/ec2/<groupName>` followed by the file path, characters CloudWatch Logs refuses replaced by `_`
   */
  readonly logGroupName?: string;
  /**
   * How long the events are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly retention?: logs.RetentionDays;
  /**
   * The log stream name; the agent replaces `{instance_id}`, `{hostname}`, `{local_hostname}`
   * and `{ip_address}`.
   * @default '{instance_id}'
   */
  readonly logStreamName?: string;
}

/** Props for {@link InstanceMetrics}. */
export interface InstanceMetricsProps {
  /** The instances (Linux) that get the agent and this configuration. */
  readonly targets: InstanceTargets;

  /**
   * The instance roles of the target instances: each gets the agent's managed policy and
   * `AmazonSSMManagedInstanceCore`. More can be added with {@link InstanceMetrics.grantAgent}.
   * @default - none; call grantAgent() for each instance role
   */
  readonly instanceRoles?: iam.IRole[];

  /**
   * Log files the agent sends to CloudWatch Logs, each to a log group this construct creates.
   * @default - no log files, metrics only
   */
  readonly logFiles?: AgentLogFile[];

  /**
   * The mount points whose file system use (`disk_used_percent`) is collected.
   * @default ['/']
   */
  readonly diskMountPoints?: string[];

  /**
   * The CloudWatch namespace of the agent's metrics.
   * @default 'CWAgent'
   */
  readonly metricsNamespace?: string;

  /**
   * The value of the `MetricsGroup` dimension that the agent adds to the memory and disk metrics
   * of these instances and aggregates on, so one alarm covers all of them. Letters, digits,
   * `.`, `_` and `-`, at most 128 characters; unique among the InstanceMetrics of an account
   * and region that share a namespace.
   * @default - a name unique to this construct in the app
   */
  readonly groupName?: string;

  /**
   * How often the agent collects the metrics, in whole seconds (under 60 s makes them
   * high-resolution metrics, which cost more).
   * @default Duration.minutes(1)
   */
  readonly metricsCollectionInterval?: Duration;

  /**
   * The memory use, in percent, above which the alarm goes off (the highest of any target
   * instance, over three 5-minute periods).
   * @default 90
   */
  readonly memoryAlarmThreshold?: number;

  /**
   * When State Manager applies both associations again, so an agent that was stopped,
   * uninstalled or reconfigured by hand is put back. Rate expressions of at least 30 minutes,
   * or cron expressions.
   * @default events.Schedule.rate(Duration.days(1))
   */
  readonly schedule?: events.Schedule;

  /**
   * Where a person is told.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
}

/** The namespace the agent publishes to unless configured otherwise. */
const DEFAULT_NAMESPACE = 'CWAgent';
/** The dimension this construct adds to memory and disk metrics and aggregates on. */
const GROUP_DIMENSION = 'MetricsGroup';
/** Parameter Store value limits (docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html). */
const STANDARD_TIER_LIMIT = 4096;
const ADVANCED_TIER_LIMIT = 8192;
/** CloudWatch Logs log group names (docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html). */
const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;

/**
 * OBS-5: the CloudWatch agent on EC2 instances, installed and configured by State Manager from a
 * Parameter Store configuration, with memory, disk and log files in CloudWatch and an alarm on
 * memory use.
 *
 * ```ts
 * const metrics = new InstanceMetrics(this, 'Metrics', {
 *   targets: InstanceTargets.tag('cwagent', 'enabled'),
 *   instanceRoles: [instanceRole],
 *   logFiles: [{ filePath: '/var/log/app/app.log' }],
 * });
 * ```
 */
export class InstanceMetrics extends Construct {
  /** The name of the agent's memory metric. */
  public static readonly MEMORY_METRIC_NAME = 'mem_used_percent';
  /** The name of the agent's file system metric. */
  public static readonly DISK_METRIC_NAME = 'disk_used_percent';
  /** The dimension this construct adds to memory and disk metrics and aggregates on. */
  public static readonly GROUP_DIMENSION = GROUP_DIMENSION;

  /** The namespace of the agent's metrics. */
  public readonly metricsNamespace: string;
  /** The value of the `MetricsGroup` dimension of these instances. */
  public readonly groupName: string;
  /** The agent configuration, as stored in the parameter. */
  public readonly agentConfig: string;
  /** The parameter that holds the agent configuration. */
  public readonly configParameter: ssm.StringParameter;
  /** The log groups the agent writes to, in the order of `logFiles`. */
  public readonly logGroups: logs.ILogGroup[];
  /** What the agent needs, for the instance roles: metrics, its log groups, its parameter. */
  public readonly agentPolicy: iam.ManagedPolicy;
  /** The association that installs the `AmazonCloudWatchAgent` package. */
  public readonly installAssociation: ssm.CfnAssociation;
  /** The association that configures the agent from the parameter and restarts it. */
  public readonly configureAssociation: ssm.CfnAssociation;
  /** The alarm on the highest memory use of the target instances. */
  public readonly memoryAlarm: cloudwatch.Alarm;
  /** Where a person is told. */
  public readonly notificationTopic: sns.ITopic;
  /** The targets. */
  public readonly targets: InstanceTargets;

  constructor(scope: Construct, id: string, props: InstanceMetricsProps) {
    super(scope, id);
    const check = new PropsCheck(this, 'InstanceMetrics');
    checkTargets(check, props.targets);
    const namespace = props.metricsNamespace ?? DEFAULT_NAMESPACE;
    if (!Token.isUnresolved(namespace)) {
      // docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html: 1-255
      // characters, and namespaces starting with "AWS/" are reserved for AWS services.
      check.require(namespace.length >= 1 && namespace.length <= 255 && !/^AWS\//i.test(namespace),
        `metricsNamespace must be 1-255 characters and not start with "AWS/" (reserved for AWS services), got "${namespace}"`);
    }
    const groupName = props.groupName ?? Names.uniqueResourceName(this, { maxLength: 128 });
    check.matches('groupName', groupName, /^[A-Za-z0-9._-]{1,128}$/, 'letters, digits, ".", "_" and "-", at most 128 characters');
    check.inRange('memoryAlarmThreshold', props.memoryAlarmThreshold, 1, 100);
    const interval = props.metricsCollectionInterval ? props.metricsCollectionInterval.toMilliseconds() / 1000 : 60;
    check.require(Number.isSafeInteger(interval) && interval >= 1,
      `metricsCollectionInterval must be a whole number of seconds, at least 1, got ${interval}`);
    const diskMountPoints = props.diskMountPoints ?? ['/'];
    check.require(diskMountPoints.length > 0, 'diskMountPoints must name at least one mount point (leave it out for "/")');
    for (const mount of diskMountPoints) {
      check.require(mount === '*' || mount.startsWith('/'), `diskMountPoints must be absolute paths or "*", got "${mount}"`);
    }
    const schedule = props.schedule ?? events.Schedule.rate(Duration.days(1));
    checkSchedule(check, schedule.expressionString);

    const files = (props.logFiles ?? []).map((file) => ({
      ...file,
      logGroupName: file.logGroupName ?? defaultLogGroupName(groupName, file.filePath),
    }));
    const seen = new Set<string>();
    for (const file of files) {
      check.require(file.filePath.startsWith('/'), `logFiles: filePath must be an absolute path on a Linux instance, got "${file.filePath}"`);
      if (!Token.isUnresolved(file.logGroupName)) {
        check.require(LOG_GROUP_NAME.test(file.logGroupName),
          `logFiles: log group name "${file.logGroupName}" must be 1-512 letters, digits and . - _ / #`);
        check.require(!seen.has(file.logGroupName), `logFiles: two files go to log group "${file.logGroupName}"; give each file its own log group`);
        seen.add(file.logGroupName);
      }
    }

    // The agent configuration (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-Configuration-File-Details.html).
    // - append_dimensions (metrics section): InstanceId and AutoScalingGroupName on every metric
    //   (the agent reads the group from the aws:autoscaling:groupName tag with ec2:DescribeTags);
    //   with append_dimensions the agent does not add its "host" dimension.
    // - mem and disk also get MetricsGroup=<groupName>, and aggregation_dimensions makes the agent
    //   publish each value a second time with only MetricsGroup, and a third time with only
    //   AutoScalingGroupName: the dimension sets the alarm and IAC-8's scaling policy name.
    // - no retention_in_days: the log groups exist (created here, encrypted, with retention), so
    //   the agent needs neither logs:CreateLogGroup nor logs:PutRetentionPolicy.
    const groupDimension = { [GROUP_DIMENSION]: groupName };
    const config = {
      agent: { metrics_collection_interval: interval },
      metrics: {
        namespace,
        append_dimensions: { InstanceId: '${aws:InstanceId}', AutoScalingGroupName: '${aws:AutoScalingGroupName}' },
        aggregation_dimensions: [[GROUP_DIMENSION], ['AutoScalingGroupName']],
        metrics_collected: {
          mem: { measurement: [InstanceMetrics.MEMORY_METRIC_NAME], append_dimensions: groupDimension },
          // drop_device: Nitro instances rename devices on reboot, which would split the series.
          disk: { measurement: [InstanceMetrics.DISK_METRIC_NAME], resources: diskMountPoints, drop_device: true, append_dimensions: groupDimension },
        },
      },
      ...(files.length > 0 ? {
        logs: {
          logs_collected: {
            files: {
              collect_list: files.map((f) => ({ file_path: f.filePath, log_group_name: f.logGroupName, log_stream_name: f.logStreamName ?? '{instance_id}' })),
            },
          },
        },
      } : {}),
    };
    const agentConfig = JSON.stringify(config);
    const measurable = !Token.isUnresolved(agentConfig);
    check.require(!measurable || agentConfig.length <= ADVANCED_TIER_LIMIT,
      `the agent configuration is ${agentConfig.length} characters; a parameter holds at most ${ADVANCED_TIER_LIMIT} (advanced tier): collect fewer log files or split the instances`);
    check.throwIfAny();

    this.targets = props.targets;
    this.metricsNamespace = namespace;
    this.groupName = groupName;
    this.agentConfig = agentConfig;
    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Notifications', { displayName: 'Instance memory alerts' }).topic;

    // Standard tier holds 4,096 characters at no charge; advanced holds 8,192 and is charged per
    // parameter and month. A value with unresolved tokens cannot be measured: advanced then.
    this.configParameter = new ssm.StringParameter(this, 'AgentConfig', {
      description: `CloudWatch agent configuration of ${this.node.path}`.slice(0, 1024),
      stringValue: agentConfig,
      tier: measurable && agentConfig.length <= STANDARD_TIER_LIMIT ? ssm.ParameterTier.STANDARD : ssm.ParameterTier.ADVANCED,
    });

    this.logGroups = files.map((f, i) => new EncryptedLogGroup(this, `LogGroup${i + 1}`, {
      logGroupName: f.logGroupName,
      retention: f.retention,
    }).logGroup);

    this.agentPolicy = new iam.ManagedPolicy(this, 'AgentPolicy', {
      description: `What the CloudWatch agent of ${this.node.path} needs on the instances`.slice(0, 1000),
      statements: this.agentStatements(),
    });
    acknowledge(this.agentPolicy.node.defaultChild!, 'AwsSolutions-IAM5[Resource::*]',
      'cloudwatch:PutMetricData, ec2:DescribeTags and ec2:DescribeVolumes support no resource-level permissions (IAM service authorization reference); PutMetricData is limited to the agent namespace by the cloudwatch:namespace condition.');

    const targets = [{ key: `tag:${props.targets.tagKey}`, values: props.targets.tagValues }];
    // A changed configuration changes the association's name, and an updated association runs
    // at once (docs.aws.amazon.com/systems-manager/latest/APIReference/API_UpdateAssociation.html,
    // ApplyOnlyAtCronInterval), so instances pick up a new configuration on deployment.
    const configHash = crypto.createHash('sha256').update(measurable ? agentConfig : Stack.of(this).toJsonString(config)).digest('hex').slice(0, 10);
    const baseName = groupName.slice(0, 100);
    this.installAssociation = new ssm.CfnAssociation(this, 'InstallAgent', {
      name: 'AWS-ConfigureAWSPackage',
      associationName: `${baseName}-install-cwagent`,
      parameters: { action: ['Install'], name: ['AmazonCloudWatchAgent'] },
      targets,
      scheduleExpression: schedule.expressionString,
    });
    this.configureAssociation = new ssm.CfnAssociation(this, 'ConfigureAgent', {
      name: 'AmazonCloudWatch-ManageAgent',
      associationName: `${baseName}-configure-${configHash}`,
      parameters: {
        action: ['configure'],
        mode: ['ec2'],
        optionalConfigurationSource: ['ssm'],
        optionalConfigurationLocation: [this.configParameter.parameterName],
        optionalRestart: ['yes'],
      },
      targets,
      scheduleExpression: schedule.expressionString,
    });
    this.configureAssociation.node.addDependency(this.installAssociation);
    this.configureAssociation.node.addDependency(this.agentPolicy);

    for (const role of props.instanceRoles ?? []) this.grantAgent(role);

    this.memoryAlarm = this.memoryMetric().createAlarm(this, 'MemoryAlarm', {
      alarmDescription: `Memory use of an instance of ${this.node.path} (${GROUP_DIMENSION}=${groupName}) is above ${props.memoryAlarmThreshold ?? 90} %.`,
      threshold: props.memoryAlarmThreshold ?? 90,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    });
    addAlarmNotification(this.memoryAlarm, this.notificationTopic);
  }

  /**
   * The highest memory use of the target instances, as the agent publishes it aggregated on the
   * `MetricsGroup` dimension.
   */
  public memoryMetric(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.metricsNamespace,
      metricName: InstanceMetrics.MEMORY_METRIC_NAME,
      dimensionsMap: { [GROUP_DIMENSION]: this.groupName },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(5),
      unit: cloudwatch.Unit.PERCENT,
      ...props,
    });
  }

  /**
   * Memory use of one Auto Scaling group's instances, as the agent publishes it aggregated on the
   * `AutoScalingGroupName` dimension: the metric a target tracking policy scales on (IAC-8).
   * The group's instances must be targets of this construct.
   */
  public memoryMetricForAutoScalingGroup(autoScalingGroupName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.metricsNamespace,
      metricName: InstanceMetrics.MEMORY_METRIC_NAME,
      dimensionsMap: { AutoScalingGroupName: autoScalingGroupName },
      statistic: cloudwatch.Stats.AVERAGE,
      period: Duration.minutes(1),
      unit: cloudwatch.Unit.PERCENT,
      ...props,
    });
  }

  /**
   * The highest file system use of the target instances' collected mount points, aggregated on
   * the `MetricsGroup` dimension.
   */
  public diskMetric(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.metricsNamespace,
      metricName: InstanceMetrics.DISK_METRIC_NAME,
      dimensionsMap: { [GROUP_DIMENSION]: this.groupName },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.minutes(5),
      unit: cloudwatch.Unit.PERCENT,
      ...props,
    });
  }

  /**
   * Gives an instance role what the agent and State Manager need: the agent's managed policy
   * (attached through the policy, so an imported role works too) and the AWS managed
   * `AmazonSSMManagedInstanceCore`, without which the SSM Agent on the instance cannot register,
   * receive the associations or report their status
   * (docs.aws.amazon.com/systems-manager/latest/userguide/setup-instance-permissions.html).
   * An imported role cannot get an AWS managed policy from here: a warning says so.
   */
  public grantAgent(role: iam.IRole): void {
    this.agentPolicy.attachToRole(role);
    const core = iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore');
    if (role instanceof iam.Role) {
      role.addManagedPolicy(core);
    } else {
      Annotations.of(this).addWarningV2('@devops-patterns/instance-metrics-ssm-core',
        `The imported role ${Token.isUnresolved(role.roleName) ? 'passed in' : role.roleName} gets the agent policy, but AmazonSSMManagedInstanceCore must be attached by its owner: without it the instances do not register with Systems Manager and the associations never run.`);
    }
  }

  /**
   * The statements of the agent policy: those of the AWS managed `CloudWatchAgentServerPolicy`
   * (docs.aws.amazon.com/aws-managed-policy/latest/reference/CloudWatchAgentServerPolicy.html)
   * narrowed to this construct's namespace, log groups and parameter, without
   * logs:CreateLogGroup, logs:PutRetentionPolicy, logs:DescribeLogGroups and X-Ray.
   */
  private agentStatements(): iam.PolicyStatement[] {
    const statements = [
      new iam.PolicyStatement({
        sid: 'PutAgentMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': this.metricsNamespace } },
      }),
      // DescribeTags: the AutoScalingGroupName dimension; DescribeVolumes: the agent's EBS volume
      // lookups. Neither supports resource-level permissions.
      new iam.PolicyStatement({ sid: 'DescribeInstanceTags', actions: ['ec2:DescribeTags', 'ec2:DescribeVolumes'], resources: ['*'] }),
      new iam.PolicyStatement({
        sid: 'ReadAgentConfiguration',
        actions: ['ssm:GetParameter'],
        resources: [this.configParameter.parameterArn],
      }),
    ];
    if (this.logGroups.length > 0) {
      statements.push(new iam.PolicyStatement({
        sid: 'WriteAgentLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: this.logGroups.map((g) => g.logGroupArn),
      }));
    }
    return statements;
  }
}

function checkTargets(check: PropsCheck, targets: InstanceTargets): void {
  const key = targets.tagKey;
  if (!Token.isUnresolved(key)) check.require(key.length >= 1 && key.length <= 128, `targets: the tag key must be 1-128 characters, got "${key}"`);
  // A State Manager target holds 1-50 values (API_Target.html).
  check.require(targets.tagValues.length >= 1 && targets.tagValues.length <= 50,
    `targets: between 1 and 50 tag values, got ${targets.tagValues.length}`);
  for (const value of targets.tagValues) {
    if (!Token.isUnresolved(value)) check.require(value.length >= 1 && value.length <= 256, `targets: tag values must be 1-256 characters, got "${value}"`);
  }
}

/**
 * State Manager accepts cron and rate expressions; a rate must be at least 30 minutes
 * (docs.aws.amazon.com/systems-manager/latest/userguide/reference-cron-and-rate-expressions.html).
 */
function checkSchedule(check: PropsCheck, expression: string): void {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const minutes = Number(rate[1]) * (rate[2].startsWith('minute') ? 1 : rate[2].startsWith('hour') ? 60 : 1440);
    check.require(minutes >= 30, `schedule must be at least 30 minutes apart (State Manager's shortest rate), got ${expression}`);
  } else {
    check.require(expression.startsWith('cron('), `schedule must be a rate or cron expression, got ${expression}`);
  }
}

/** `/ec2/<group><file path>`, with what a log group name cannot hold replaced. */
function defaultLogGroupName(groupName: string, filePath: string): string {
  return `/ec2/${groupName}${filePath}`.replace(/[^.\-_/#A-Za-z0-9]/g, '_').slice(0, 512);
}
