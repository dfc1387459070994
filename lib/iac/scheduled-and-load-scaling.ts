/**
 * IAC-8 ScheduledAndLoadScaling: what OpsWorks Stacks time-based and load-based instances did,
 * on EC2 Auto Scaling today.
 *
 * OpsWorks Stacks reached end of life on May 26, 2024
 * (docs.aws.amazon.com/opsworks/latest/APIReference/Welcome.html). Its time-based instances
 * (on during given hours and days) become scheduled actions of an Auto Scaling group, each with
 * an IANA time zone so a morning scale-out follows daylight saving time. Its load-based instances
 * (started and stopped on CPU, memory or load thresholds) become target tracking policies: on the
 * group's average CPU utilization (predefined metric), and on memory use, which EC2 cannot see:
 * the CloudWatch agent publishes it per Auto Scaling group, set up by OBS-5 `InstanceMetrics`
 * (State Manager installs and configures the agent on the group's instances; the instance role
 * gets the agent's grants). Predictive scaling on CPU can be added, in forecast-only mode first.
 * Target tracking creates and owns its CloudWatch alarms. A person hears when the group cannot
 * launch an instance, since a scale-out that fails leaves the load without capacity.
 */
import { Duration, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { addEventNotification } from '../core/event-notification';
import { NotificationTopic } from '../core/notification-topic';
import { PropsCheck } from '../core/validation';
import { InstanceMetrics, InstanceTargets } from '../observability/instance-metrics';

/**
 * A scheduled action: at the times of `schedule`, read in `timeZone`, the group's capacity
 * limits change (what an OpsWorks time-based instance did by being on during given hours).
 */
export interface ScalingScheduledAction {
  /**
   * A name for the action, unique in this construct: letters, digits, `-` and `_`, at most 64
   * characters. CloudFormation generates the action's name in Auto Scaling.
   */
  readonly name: string;

  /**
   * When the action runs: a Unix cron expression of five fields (minute, hour, day of month,
   * month, day of week), as `autoscaling.Schedule.cron({ hour: '8', minute: '0', weekDay: '1-5' })`
   * builds it. Not an EventBridge schedule: Auto Scaling reads the crontab format
   * (docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutScheduledUpdateGroupAction.html).
   */
  readonly schedule: autoscaling.Schedule;

  /**
   * The time zone `schedule` is read in: the canonical IANA name (`Europe/Paris`,
   * `America/New_York`, `Etc/UTC`). Auto Scaling follows daylight saving time in it
   * (docs.aws.amazon.com/autoscaling/ec2/userguide/scheduled-scaling-create-scheduled-action.html).
   */
  readonly timeZone: string;

  /**
   * The group's new minimum size.
   * @default - unchanged
   */
  readonly minCapacity?: number;

  /**
   * The group's new maximum size.
   * @default - unchanged
   */
  readonly maxCapacity?: number;

  /**
   * The group's new desired capacity; target tracking moves it again afterwards, within the
   * minimum and maximum.
   * @default - unchanged
   */
  readonly desiredCapacity?: number;
}

/** What a predictive scaling policy does with its forecast. */
export enum PredictiveScalingMode {
  /** Forecast only: the forecast is visible in the console and the API, capacity is not changed. */
  FORECAST_ONLY = 'ForecastOnly',
  /** Forecast and scale: capacity is raised ahead of the forecast load. */
  FORECAST_AND_SCALE = 'ForecastAndScale',
}

/**
 * Predictive scaling on CPU: Auto Scaling forecasts the group's load from 14 days of its CPU
 * utilization (24 hours at least) and launches capacity ahead of it
 * (docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-predictive-scaling.html).
 */
export interface PredictiveScalingOptions {
  /**
   * Forecast only (to check the forecast before it acts) or forecast and scale.
   * @default PredictiveScalingMode.FORECAST_ONLY
   */
  readonly mode?: PredictiveScalingMode;

  /**
   * The average CPU utilization, in percent (1-100), the forecast capacity is sized for.
   * @default - cpuTargetUtilizationPercent, or 50 without it
   */
  readonly targetUtilizationPercent?: number;

  /**
   * How long before the forecast time instances are launched, in whole seconds, under one hour.
   * @default Duration.minutes(5)
   */
  readonly schedulingBufferTime?: Duration;
}

/** Props for {@link ScheduledAndLoadScaling}. */
export interface ScheduledAndLoadScalingProps {
  /** The group to scale; its minimum and maximum size bound every policy. */
  readonly autoScalingGroup: autoscaling.IAutoScalingGroup;

  /**
   * Scheduled actions (OpsWorks time-based instances).
   * @default - none
   */
  readonly scheduledActions?: ScalingScheduledAction[];

  /**
   * Target tracking on the group's average CPU utilization (predefined metric
   * `ASGAverageCPUUtilization`), in percent, 1-100.
   * @default - no CPU target tracking
   */
  readonly cpuTargetUtilizationPercent?: number;

  /**
   * Target tracking on the group's average memory use (the CloudWatch agent's `mem_used_percent`
   * with the `AutoScalingGroupName` dimension), in percent, 1-100.
   * @default - no memory target tracking
   */
  readonly memoryTargetUtilizationPercent?: number;

  /**
   * The memory metric to track when the CloudWatch agent is already set up on the group's
   * instances, such as `instanceMetrics.memoryMetricForAutoScalingGroup(group.autoScalingGroupName)`
   * of an OBS-5 `InstanceMetrics` that targets them. It must carry exactly the dimension
   * `AutoScalingGroupName` of this group. With it, no agent setup is created here.
   * @default - an OBS-5 InstanceMetrics on the group's instances, and its metric
   */
  readonly memoryMetric?: cloudwatch.IMetric;

  /**
   * The instance role of the group's instances, which gets the CloudWatch agent's grants (and
   * `AmazonSSMManagedInstanceCore`) when memory target tracking sets up the agent.
   * @default - the group's role, when its launch template exposes one
   */
  readonly instanceRole?: iam.IRole;

  /**
   * How often State Manager applies the agent's install and configure associations again. A new
   * instance whose configure association ran before the install one reports memory only after
   * the next run, so this bounds how late a new instance counts. 30 minutes is the shortest rate
   * State Manager accepts.
   * @default events.Schedule.rate(Duration.minutes(30))
   */
  readonly agentSchedule?: events.Schedule;

  /**
   * Predictive scaling on CPU, next to the target tracking policies.
   * @default - no predictive scaling
   */
  readonly predictiveScaling?: PredictiveScalingOptions;

  /**
   * Where a person is told.
   * @default - a new KMS-encrypted {@link NotificationTopic}
   */
  readonly notificationTopic?: sns.ITopic;
}

/** Scheduled action and construct ids. */
const ACTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * IAC-8: scheduled actions with time zones and target tracking on CPU and memory (CloudWatch
 * agent metric) for an EC2 Auto Scaling group, with predictive scaling as an option.
 *
 * ```ts
 * new ScheduledAndLoadScaling(this, 'Scaling', {
 *   autoScalingGroup: group,
 *   scheduledActions: [{
 *     name: 'WorkdayMorning', timeZone: 'Europe/Paris', minCapacity: 4,
 *     schedule: autoscaling.Schedule.cron({ minute: '0', hour: '8', weekDay: '1-5' }),
 *   }],
 *   cpuTargetUtilizationPercent: 50,
 *   memoryTargetUtilizationPercent: 70,
 * });
 * ```
 */
export class ScheduledAndLoadScaling extends Construct {
  /** The group that is scaled. */
  public readonly autoScalingGroup: autoscaling.IAutoScalingGroup;
  /** The scheduled actions, in the order given. */
  public readonly scheduledActions: autoscaling.ScheduledAction[] = [];
  /** The target tracking policy on CPU, when `cpuTargetUtilizationPercent` is set. */
  public readonly cpuPolicy?: autoscaling.TargetTrackingScalingPolicy;
  /** The target tracking policy on memory, when `memoryTargetUtilizationPercent` is set. */
  public readonly memoryPolicy?: autoscaling.TargetTrackingScalingPolicy;
  /** The memory metric the memory policy tracks. */
  public readonly memoryMetric?: cloudwatch.IMetric;
  /** The CloudWatch agent setup (OBS-5), when memory target tracking created it. */
  public readonly instanceMetrics?: InstanceMetrics;
  /** The predictive scaling policy, when `predictiveScaling` is set. */
  public readonly predictivePolicy?: autoscaling.CfnScalingPolicy;
  /** The rule that tells a person when the group fails to launch an instance. */
  public readonly launchFailures: events.Rule;
  /** Where a person is told. */
  public readonly notificationTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: ScheduledAndLoadScalingProps) {
    super(scope, id);
    const check = new PropsCheck(this, 'ScheduledAndLoadScaling');
    const actions = props.scheduledActions ?? [];
    const memory = props.memoryTargetUtilizationPercent !== undefined;
    check.require(actions.length > 0 || props.cpuTargetUtilizationPercent !== undefined || memory || props.predictiveScaling !== undefined,
      'nothing to scale on: give scheduledActions, cpuTargetUtilizationPercent, memoryTargetUtilizationPercent or predictiveScaling');
    checkActions(check, actions);
    check.inRange('cpuTargetUtilizationPercent', props.cpuTargetUtilizationPercent, 1, 100);
    check.inRange('memoryTargetUtilizationPercent', props.memoryTargetUtilizationPercent, 1, 100);
    check.require(memory || props.memoryMetric === undefined,
      'memoryMetric is given without memoryTargetUtilizationPercent: set the target memory use, or leave the metric out');
    check.require(memory || (props.instanceRole === undefined && props.agentSchedule === undefined),
      'instanceRole and agentSchedule set up the CloudWatch agent for memory target tracking: set memoryTargetUtilizationPercent, or leave them out');
    if (props.memoryMetric) checkMemoryMetric(check, props.memoryMetric, props.autoScalingGroup.autoScalingGroupName);
    const instanceRole = props.instanceRole ?? roleOf(props.autoScalingGroup);
    check.require(!memory || props.memoryMetric !== undefined || instanceRole !== undefined,
      'memory target tracking needs the CloudWatch agent on the instances: give instanceRole (the group\'s launch template exposes no role), or a memoryMetric of an agent set up elsewhere');
    check.require(!(props.memoryMetric && props.agentSchedule), 'agentSchedule applies to the agent this construct sets up; with memoryMetric the agent is set up elsewhere');
    const predictive = props.predictiveScaling;
    if (predictive) {
      check.inRange('predictiveScaling.targetUtilizationPercent', predictive.targetUtilizationPercent, 1, 100);
      if (predictive.schedulingBufferTime && !predictive.schedulingBufferTime.isUnresolved()) {
        // SchedulingBufferTime: seconds, less than the forecast interval of 3,600 s
        // (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-autoscaling-scalingpolicy-predictivescalingconfiguration.html).
        const seconds = predictive.schedulingBufferTime.toMilliseconds() / 1000;
        check.require(Number.isInteger(seconds) && seconds >= 0 && seconds < 3600,
          `predictiveScaling.schedulingBufferTime must be whole seconds under one hour (the forecast interval), got ${seconds} s`);
      }
    }
    check.throwIfAny();

    this.autoScalingGroup = props.autoScalingGroup;
    const group = props.autoScalingGroup;
    this.notificationTopic = props.notificationTopic ?? new NotificationTopic(this, 'Notifications', {
      displayName: 'Auto Scaling alerts',
    }).topic;

    for (const action of actions) {
      this.scheduledActions.push(new autoscaling.ScheduledAction(this, action.name, {
        autoScalingGroup: group,
        schedule: action.schedule,
        timeZone: action.timeZone,
        minCapacity: action.minCapacity,
        maxCapacity: action.maxCapacity,
        desiredCapacity: action.desiredCapacity,
      }));
    }

    // Target tracking: Auto Scaling creates the CloudWatch alarms of each policy, changes them
    // with the policy and deletes them with it; they must not be edited
    // (docs.aws.amazon.com/autoscaling/ec2/userguide/as-scaling-target-tracking.html). With
    // several policies, the one that asks for the most capacity wins, for scale-out and scale-in.
    if (props.cpuTargetUtilizationPercent !== undefined) {
      this.cpuPolicy = new autoscaling.TargetTrackingScalingPolicy(this, 'CpuTargetTracking', {
        autoScalingGroup: group,
        predefinedMetric: autoscaling.PredefinedMetric.ASG_AVERAGE_CPU_UTILIZATION,
        targetValue: props.cpuTargetUtilizationPercent,
      });
    }

    if (memory) {
      if (props.memoryMetric) {
        this.memoryMetric = props.memoryMetric;
      } else {
        // OBS-5 on the group's instances (the aws:autoscaling:groupName tag Auto Scaling puts on
        // them): its agent configuration publishes mem_used_percent aggregated on the
        // AutoScalingGroupName dimension, which is the metric tracked here.
        this.instanceMetrics = new InstanceMetrics(this, 'Agent', {
          targets: InstanceTargets.autoScalingGroup(group.autoScalingGroupName),
          instanceRoles: [instanceRole!],
          schedule: props.agentSchedule ?? events.Schedule.rate(Duration.minutes(30)),
          notificationTopic: this.notificationTopic,
        });
        this.memoryMetric = this.instanceMetrics.memoryMetricForAutoScalingGroup(group.autoScalingGroupName);
      }
      this.memoryPolicy = new autoscaling.TargetTrackingScalingPolicy(this, 'MemoryTargetTracking', {
        autoScalingGroup: group,
        customMetric: this.memoryMetric,
        targetValue: props.memoryTargetUtilizationPercent!,
      });
    }

    if (predictive) {
      this.predictivePolicy = new autoscaling.CfnScalingPolicy(this, 'PredictiveCpu', {
        autoScalingGroupName: group.autoScalingGroupName,
        policyType: 'PredictiveScaling',
        predictiveScalingConfiguration: {
          mode: predictive.mode ?? PredictiveScalingMode.FORECAST_ONLY,
          // ASGCPUUtilization: the group's total CPU is the load metric, its average CPU the
          // scaling metric (AWS::AutoScaling::ScalingPolicy PredictiveScalingPredefinedMetricPair).
          metricSpecifications: [{
            predefinedMetricPairSpecification: { predefinedMetricType: 'ASGCPUUtilization' },
            targetValue: predictive.targetUtilizationPercent ?? props.cpuTargetUtilizationPercent ?? 50,
          }],
          schedulingBufferTime: (predictive.schedulingBufferTime ?? Duration.minutes(5)).toSeconds(),
          // The forecast never raises the group's maximum size.
          maxCapacityBreachBehavior: 'HonorMaxCapacity',
        },
      });
    }

    // A scale-out (target tracking, schedule or forecast) that cannot launch leaves the load
    // without capacity (docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-event-reference.html).
    const field = (path: string) => events.EventField.fromPath(path);
    this.launchFailures = new events.Rule(this, 'LaunchFailures', {
      description: `Failed instance launches of the Auto Scaling group scaled by ${this.node.path}`.slice(0, 512),
      eventPattern: {
        source: ['aws.autoscaling'],
        detailType: ['EC2 Instance Launch Unsuccessful'],
        detail: { AutoScalingGroupName: [group.autoScalingGroupName] },
      },
    });
    addEventNotification(this.launchFailures, this.notificationTopic,
      `Auto Scaling group ${field('$.detail.AutoScalingGroupName')} in ${events.EventField.account} ${events.EventField.region} could not launch an instance: `
      + `${field('$.detail.StatusMessage')} Cause: ${field('$.detail.Cause')} The load it was scaling out for has no new capacity until a launch succeeds.`);
  }
}

function checkActions(check: PropsCheck, actions: ScalingScheduledAction[]): void {
  const seen = new Set<string>();
  for (const action of actions) {
    const name = action.name;
    const label = `scheduled action "${name}"`;
    check.require(ACTION_NAME.test(name), `${label}: name must be 1-64 letters, digits, "-" and "_"`);
    check.require(!seen.has(name), `${label}: two scheduled actions have this name`);
    seen.add(name);
    const { minCapacity: min, maxCapacity: max, desiredCapacity: desired } = action;
    check.require(min !== undefined || max !== undefined || desired !== undefined,
      `${label} sets nothing: give minCapacity, maxCapacity or desiredCapacity`);
    for (const [prop, value] of Object.entries({ minCapacity: min, maxCapacity: max, desiredCapacity: desired })) {
      if (value !== undefined && !Token.isUnresolved(value)) {
        check.require(Number.isSafeInteger(value) && value >= 0, `${label}: ${prop} must be a whole number, 0 or more, got ${value}`);
      }
    }
    const known = (v: number | undefined): v is number => v !== undefined && !Token.isUnresolved(v);
    if (known(min) && known(max)) check.require(min <= max, `${label}: minCapacity (${min}) is above maxCapacity (${max})`);
    if (known(desired) && known(min)) check.require(desired >= min, `${label}: desiredCapacity (${desired}) is below minCapacity (${min})`);
    if (known(desired) && known(max)) check.require(desired <= max, `${label}: desiredCapacity (${desired}) is above maxCapacity (${max})`);
    const expression = action.schedule.expressionString;
    if (!Token.isUnresolved(expression)) {
      // Recurrence: five fields [Minute] [Hour] [Day_of_Month] [Month_of_Year] [Day_of_Week]
      // (AWS::AutoScaling::ScheduledAction, Recurrence).
      check.require(expression.trim().split(/\s+/).length === 5,
        `${label}: schedule must be a Unix cron expression of five fields (minute hour day-of-month month day-of-week), got "${expression}"`);
    }
    const zone = action.timeZone;
    if (!Token.isUnresolved(zone)) {
      const problem = timeZoneProblem(zone);
      if (problem) check.add(`${label}: ${problem}`);
    }
  }
}

/**
 * Auto Scaling takes the canonical names of the IANA time zone database. This runtime's
 * time zone database (ICU, in Intl) refuses names that are in neither; Intl also accepts names
 * in the wrong case, which are refused here.
 */
function timeZoneProblem(zone: string): string | undefined {
  if (!intlKnowsTimeZones()) return undefined;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return `timeZone "${zone}" is not an IANA time zone name (such as Europe/Paris, America/New_York or Etc/UTC)`;
  }
  if (resolved !== zone && resolved.toLowerCase() === zone.toLowerCase()) {
    return `timeZone "${zone}" must be spelled as in the IANA database: "${resolved}"`;
  }
  return undefined;
}

function intlKnowsTimeZones(): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Paris' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A target tracking customized metric is one metric (no math) whose dimensions name the group:
 * the agent's AutoScalingGroupName aggregate.
 */
function checkMemoryMetric(check: PropsCheck, metric: cloudwatch.IMetric, groupName: string): void {
  const stat = metric.toMetricConfig().metricStat;
  if (!stat) {
    check.add('memoryMetric must be a single metric, not a metric math expression');
    return;
  }
  const dimensions = stat.dimensions ?? [];
  const group = dimensions.find((d) => d.name === 'AutoScalingGroupName');
  check.require(dimensions.length === 1 && group !== undefined,
    `memoryMetric must have exactly the dimension AutoScalingGroupName (the agent's per-group aggregate), got ${dimensions.map((d) => d.name).join(', ') || 'none'}`);
  if (group && typeof group.value === 'string' && !Token.isUnresolved(group.value) && !Token.isUnresolved(groupName)) {
    check.require(group.value === groupName, `memoryMetric is for Auto Scaling group "${group.value}", not "${groupName}"`);
  }
}

/** The role of a group whose launch template exposes one (aws-cdk-lib's group: its grant principal). */
function roleOf(group: autoscaling.IAutoScalingGroup): iam.IRole | undefined {
  const principal = group.grantPrincipal as Partial<iam.IRole>;
  return typeof principal.roleArn === 'string' && typeof principal.roleName === 'string' && typeof principal.addManagedPolicy === 'function'
    ? principal as iam.IRole
    : undefined;
}
